// How list_tables filters and search_catalog ranks, on whichever catalog a server has: the same
// words find the same tables on the laptop and on the server.
import type { McpSearchMatch, McpTableSummary } from './schemas.js';

/** The lower-cased words of a search text (letters, digits, `_`, `.`, `-`, `$`). */
export function searchWords(text: string): string[] {
  return [...new Set(text.toLowerCase().match(/[\p{L}\p{N}_.$-]+/gu) ?? [])];
}

export interface TableFilters {
  source?: string;
  bucket?: string;
  text?: string;
}

/** Tables passing list_tables' filters: source (or source type) and bucket exactly, every word of `text` in the id or description. */
export function filterTables<T extends McpTableSummary & { source_type?: string | null }>(tables: readonly T[], f: TableFilters): T[] {
  const same = (a: string | null | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();
  const words = searchWords(f.text ?? '');
  return tables.filter(
    (t) =>
      (!f.source || same(t.source, f.source) || same(t.source_type, f.source)) &&
      (!f.bucket || same(t.bucket, f.bucket)) &&
      words.every((w) => `${t.id} ${t.description ?? ''}`.toLowerCase().includes(w)),
  );
}

export interface SearchableTable {
  id: string;
  description: string | null;
  columns: readonly { name: string; type: string }[];
}

/**
 * Tables and columns matching any of the words, best first: those matching more of the words,
 * then those matching in a name rather than a description, then by table id and column name.
 */
export function searchCatalog(tables: readonly SearchableTable[], text: string): McpSearchMatch[] {
  const words = searchWords(text);
  if (!words.length) return [];
  const scored: { match: McpSearchMatch; hits: number; score: number }[] = [];
  for (const t of tables) {
    const id = t.id.toLowerCase();
    const description = (t.description ?? '').toLowerCase();
    const inTable = words.filter((w) => id.includes(w) || description.includes(w));
    if (inTable.length) {
      const score = inTable.reduce((s, w) => s + (id.includes(w) ? 3 : 1), 0);
      scored.push({ match: { table: t.id, column: null, type: null, description: t.description }, hits: inTable.length, score });
    }
    for (const c of t.columns) {
      const name = c.name.toLowerCase();
      const inColumn = words.filter((w) => name.includes(w));
      if (!inColumn.length) continue;
      // A column of a table that matches other words matches them too: `orders amount` finds orders.amount first.
      const hits = new Set([...inColumn, ...inTable]).size;
      scored.push({ match: { table: t.id, column: c.name, type: c.type, description: t.description }, hits, score: inColumn.length * 2 + inTable.length });
    }
  }
  scored.sort(
    (a, b) =>
      b.hits - a.hits ||
      b.score - a.score ||
      a.match.table.localeCompare(b.match.table) ||
      (a.match.column === null ? -1 : b.match.column === null ? 1 : a.match.column.localeCompare(b.match.column)),
  );
  return scored.map((s) => s.match);
}
