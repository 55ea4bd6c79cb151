// Pages of an MCP answer: as many whole items (rows, tables, matches) as fit in the budget,
// never part of one. Items arrive as JSON texts, so a page's size is known exactly and its text
// is what the agent reads; the structured answer is that same text parsed.
import type { McpQueryOutput } from './schemas.js';
import { encodeMcpCursor } from './cursor.js';
import { columnsTooWide, rowTooLarge } from './refusal.js';

/** A page's JSON text and how many items it holds. */
export interface FittedPage {
  text: string;
  count: number;
}

/**
 * The page of `items` starting at `offset`: `render(joined, count, next)` writes the whole
 * answer around the comma-joined items (`next` is the offset of the following page, null on
 * the last). The page holds as many items as keep that text within `budget`; `count` is 0 when
 * not even the first remaining item fits (the caller refuses).
 */
export function fitPage(
  items: readonly string[],
  offset: number,
  budget: number,
  render: (joined: string, count: number, next: number | null) => string,
): FittedPage {
  const remaining = items.length - offset;
  // The envelope with the longest numbers it can hold, so that the guess below rarely overshoots.
  const room = budget - render('', 0, remaining > 0 ? items.length : null).length;
  let count = 0;
  let used = 0;
  while (count < remaining) {
    const add = items[offset + count].length + (count ? 1 : 0);
    if (used + add > room) break;
    used += add;
    count++;
  }
  for (;;) {
    const next = offset + count < items.length ? offset + count : null;
    const text = render(items.slice(offset, offset + count).join(','), count, next);
    if (text.length <= budget || count === 0) return { text, count };
    count--;
  }
}

export interface QueryRows {
  columns: { name: string; type: string }[];
  /** Each row as its JSON array text. */
  rows: readonly string[];
}

export interface PageOptions {
  offset: number;
  budget: number;
  /**
   * What the cursors of this answer name: the id a paged query result is kept under (the
   * caller keeps it when the page is `truncated`), or a digest of a listing's inputs.
   */
  key: string;
}

/** A page of a query result in the `query` tool's answer shape; refuses a row or a header that cannot fit. */
export function queryPage(result: QueryRows, o: PageOptions): { text: string; structured: McpQueryOutput } {
  const total = result.rows.length;
  const columns = JSON.stringify(result.columns);
  const page = fitPage(result.rows, o.offset, o.budget, (joined, count, next) => {
    const cursor = next === null ? null : encodeMcpCursor({ tool: 'query', key: o.key, offset: next });
    const note =
      next === null
        ? o.offset > 0
          ? `Last page: rows ${range(o.offset, count)} of ${n(total)}`
          : undefined
        : pageNote(o.offset, count, total, 'query', 'Rows');
    return `{"columns":${columns},"rows":[${joined}],"row_count":${count},"total_rows":${total},"offset":${o.offset},"truncated":${next !== null},"cursor":${JSON.stringify(cursor)}${note ? `,"note":${JSON.stringify(note)}` : ''}}`;
  });
  if (page.count === 0 && o.offset < total) {
    const bare = `{"columns":${columns},"rows":[],"row_count":0,"total_rows":${total},"offset":${o.offset},"truncated":true,"cursor":null}`;
    if (bare.length > o.budget / 2) throw columnsTooWide(result.columns.length, o.budget);
    throw rowTooLarge(o.offset, result.rows[o.offset].length, o.budget);
  }
  return { text: page.text, structured: JSON.parse(page.text) as McpQueryOutput };
}

/** A page of a listing (`tables`, `matches`) with the paging fields every listing has. */
export function listPage<T>(
  field: string,
  items: readonly string[],
  o: PageOptions & { tool: string },
): { text: string; structured: T & { count: number; total: number; offset: number; truncated: boolean; cursor: string | null } } {
  const total = items.length;
  const page = fitPage(items, o.offset, o.budget, (joined, count, next) => {
    const cursor = next === null ? null : encodeMcpCursor({ tool: o.tool, key: o.key, offset: next });
    const note = next === null ? undefined : pageNote(o.offset, count, total, o.tool, field === 'tables' ? 'Tables' : 'Items');
    return `{${JSON.stringify(field)}:[${joined}],"count":${count},"total":${total},"offset":${o.offset},"truncated":${next !== null},"cursor":${JSON.stringify(cursor)}${note ? `,"note":${JSON.stringify(note)}` : ''}}`;
  });
  if (page.count === 0 && o.offset < total) throw rowTooLarge(o.offset, items[o.offset].length, o.budget);
  return {
    text: page.text,
    structured: JSON.parse(page.text) as T & { count: number; total: number; offset: number; truncated: boolean; cursor: string | null },
  };
}

function pageNote(offset: number, count: number, total: number, tool: string, noun: string): string {
  return `${noun} ${range(offset, count)} of ${n(total)}; nothing was cut: call ${tool} with this cursor for the next page`;
}

const n = (x: number) => x.toLocaleString('en-US');
const range = (offset: number, count: number) => (count ? `${n(offset + 1)}–${n(offset + count)}` : 'none');
