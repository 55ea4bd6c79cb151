// The paging rules both MCP servers share (@aida/core): pages of whole rows within the budget,
// cursors that lead from each page to the next, refusals that say what to do, and the store of
// paged results with its bounds.
import { describe, expect, it } from 'vitest';
import {
  decodeMcpCursor,
  encodeMcpCursor,
  listPage,
  MCP_TOOLS,
  queryPage,
  refusalReason,
  ResultPages,
  searchCatalog,
  filterTables,
  type QueryRows,
} from '@aida/core';

const rows = (n: number, width = 1): QueryRows => ({
  columns: [
    { name: 'id', type: 'BIGINT' },
    { name: 'text', type: 'VARCHAR' },
  ],
  rows: Array.from({ length: n }, (_, i) => JSON.stringify([i, 'x'.repeat(width)])),
});

function refusedWith(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return refusalReason(e);
  }
  return undefined;
}

describe('query pages', () => {
  it('hold whole rows within the budget, and their cursors lead through every row once', () => {
    const result = rows(5000, 7);
    const seen: unknown[][] = [];
    let offset = 0;
    let pages = 0;
    for (;;) {
      const page = queryPage(result, { key: 'k', offset, budget: 4_000 });
      expect(page.text.length).toBeLessThanOrEqual(4_000);
      expect(JSON.parse(page.text)).toEqual(page.structured);
      expect(page.structured).toMatchObject({ offset, total_rows: 5000, row_count: page.structured.rows.length });
      seen.push(...page.structured.rows);
      pages++;
      if (!page.structured.cursor) break;
      // A page is as full as it can be: one more row would not have fitted.
      expect(page.text.length + result.rows[offset + page.structured.row_count].length + 1).toBeGreaterThan(4_000 - 100);
      const c = decodeMcpCursor(page.structured.cursor, 'query');
      expect(c).toEqual({ tool: 'query', key: 'k', offset: offset + page.structured.row_count });
      offset = c.offset;
    }
    expect(pages).toBeGreaterThan(20);
    expect(seen).toEqual(result.rows.map((r) => JSON.parse(r)));
  });

  it('a result that fits is one page without a cursor; an empty one too', () => {
    expect(queryPage(rows(3), { key: 'k', offset: 0, budget: 50_000 }).structured).toMatchObject({ row_count: 3, truncated: false, cursor: null });
    expect(queryPage(rows(0), { key: 'k', offset: 0, budget: 50_000 }).structured).toMatchObject({ rows: [], row_count: 0, total_rows: 0, cursor: null });
  });

  it('refuse a row that alone exceeds the budget, and a header wider than it', () => {
    expect(refusedWith(() => queryPage(rows(2, 5_000), { key: 'k', offset: 0, budget: 4_000 }))).toBe('row_too_large');
    const wide: QueryRows = { columns: Array.from({ length: 500 }, (_, i) => ({ name: `column_${i}`, type: 'VARCHAR' })), rows: ['[]'] };
    expect(refusedWith(() => queryPage(wide, { key: 'k', offset: 0, budget: 4_000 }))).toBe('columns_too_wide');
  });
});

describe('cursors', () => {
  it('belong to one tool and are refused elsewhere or when forged', () => {
    const c = encodeMcpCursor({ tool: 'list_tables', key: 'abc', offset: 40 });
    expect(decodeMcpCursor(c, 'list_tables')).toEqual({ tool: 'list_tables', key: 'abc', offset: 40 });
    expect(refusedWith(() => decodeMcpCursor(c, 'query'))).toBe('cursor_invalid');
    expect(refusedWith(() => decodeMcpCursor('%%%', 'query'))).toBe('cursor_invalid');
    expect(refusedWith(() => decodeMcpCursor(Buffer.from('{"v":1,"t":"query","k":"x","o":-1}').toString('base64url'), 'query'))).toBe('cursor_invalid');
  });
});

describe('listing pages', () => {
  it('page tables like rows, with count and total', () => {
    const items = Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `table_${i}`, description: 'd'.repeat(40) }));
    const first = listPage<{ tables: { id: string }[] }>('tables', items, { tool: 'list_tables', key: 'k', offset: 0, budget: 3_000 });
    expect(first.text.length).toBeLessThanOrEqual(3_000);
    expect(first.structured).toMatchObject({ total: 300, offset: 0, truncated: true });
    expect(first.structured.count).toBe(first.structured.tables.length);
    expect(first.structured.note).toMatch(/^Tables 1–\d+ of 300; nothing was cut/);
    expect(decodeMcpCursor(first.structured.cursor!, 'list_tables').offset).toBe(first.structured.count);
  });
});

describe('the result store', () => {
  it('keeps a bounded number of results, drops the least recently read first, and forgets idle ones', () => {
    let now = 0;
    const store = new ResultPages({ maxResults: 2, ttlMs: 1_000, now: () => now });
    store.keep('a', rows(1));
    store.keep('b', rows(1));
    expect(store.get('a')).toBeDefined(); // a is now the most recently read
    store.keep('c', rows(1));
    expect([store.get('a'), store.get('b'), store.get('c')].map(Boolean)).toEqual([true, false, true]);
    now = 1_500;
    expect(store.get('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('bounds the characters it holds', () => {
    const store = new ResultPages({ maxResults: 10, maxChars: 1_000 });
    store.keep('a', rows(20, 20)); // ~600 characters
    store.keep('b', rows(20, 20));
    expect(store.get('a')).toBeUndefined();
    expect(store.get('b')).toBeDefined();
  });
});

describe('catalog search and filters', () => {
  const tables = [
    {
      id: 'orders',
      description: 'Orders placed in the web shop',
      source: 'shop',
      source_type: 'keboola',
      bucket: 'sales',
      rows: 1,
      updated: null,
      columns: [{ name: 'amount', type: 'DOUBLE' }],
    },
    {
      id: 'refunds',
      description: null,
      source: 'shop',
      source_type: 'keboola',
      bucket: 'finance',
      rows: 1,
      updated: null,
      columns: [{ name: 'order_id', type: 'BIGINT' }],
    },
  ];
  it('filter by source or source type, bucket, and every word', () => {
    expect(filterTables(tables, { source: 'KEBOOLA' }).map((t) => t.id)).toEqual(['orders', 'refunds']);
    expect(filterTables(tables, { bucket: 'finance' }).map((t) => t.id)).toEqual(['refunds']);
    expect(filterTables(tables, { text: 'web orders' }).map((t) => t.id)).toEqual(['orders']);
    expect(filterTables(tables, { text: 'web refunds' })).toEqual([]);
  });
  it('rank matches of more words, then of names, first', () => {
    expect(searchCatalog(tables, 'order amount').map((m) => `${m.table}.${m.column ?? ''}`)).toEqual(['orders.amount', 'orders.', 'refunds.order_id']);
  });
  it('the tool definitions are all read-only with one-line descriptions', () => {
    for (const t of Object.values(MCP_TOOLS)) {
      expect(t.annotations.readOnlyHint).toBe(true);
      expect(t.description).not.toMatch(/\n/);
    }
  });
});
