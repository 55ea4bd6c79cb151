// The text of .claude/rules/aida_data.md: what an agent in this workspace needs to know before
// its first query — which tables are here, what is in them, how fresh they are, how to query
// them — in at most `budget` bytes. Many tables degrade the whole file one step at a time
// (short descriptions and columns without profile facts; then column names only; then table
// names only; then as many names as fit) and the file says so.
import { columnNotes, MCP_TOOLS, type TableProfileFacts } from '@aida/core';
import { flatten } from '../sync/rules.js';
import type { ColumnsByTable, LocalCatalog, LocalTable } from './local-catalog.js';

export type ContextDetail = 'full' | 'compact' | 'brief' | 'names' | 'some_names';

export interface ContextInputs {
  catalog: LocalCatalog;
  columns: ColumnsByTable;
  profiles: Map<string, TableProfileFacts>;
}

const DESCRIPTION_CHARS = { full: 400, compact: 100 } as const;
const COLUMNS_SHOWN = { full: 60, compact: 20, brief: 12 } as const;
/** Levels written as one list line per table (the others as a heading and lines below it). */
const LISTED: readonly ContextDetail[] = ['brief', 'names', 'some_names'];

/** The file's body (the caller adds the header line), at the most detailed level that fits. */
export function renderContext(inputs: ContextInputs, budget: number): { body: string; detail: ContextDetail } {
  const levels = ['full', 'compact', 'brief', 'names'] as const;
  for (const detail of levels) {
    const body = document(
      inputs,
      detail,
      inputs.catalog.tables.map((t) => table(t, inputs, detail)),
    );
    if (bytes(body) <= budget) return { body, detail };
  }
  // Names only is still too long: as many names as fit, and the count of the rest.
  const lines = inputs.catalog.tables.map((t) => table(t, inputs, 'names'));
  let shown = lines.length;
  let body = '';
  while (shown > 0) {
    body = document(inputs, 'some_names', [...lines.slice(0, shown), moreLine(lines.length - shown)]);
    if (bytes(body) <= budget) break;
    // Jump close to the size that fits, then step; the per-line average makes the guess good.
    const over = bytes(body) - budget;
    shown = Math.max(0, shown - Math.max(1, Math.ceil(over / (bytes(lines[shown - 1]) + 1))));
  }
  return { body, detail: 'some_names' };
}

function document(inputs: ContextInputs, detail: ContextDetail, tables: string[]): string {
  const { catalog } = inputs;
  const n = catalog.tables.length;
  // An id that needs no quotes in SQL, so that the example can be pasted into a shell as it is.
  const example = catalog.tables.find((t) => /^[a-z_][a-z0-9_]*$/.test(t.id))?.id ?? 'some_table';
  const tools = Object.keys(MCP_TOOLS)
    .map((t) => `\`${t}\``)
    .join(', ');
  const abridged: Record<ContextDetail, string | undefined> = {
    full: undefined,
    compact: `This list is abridged to stay under its size limit: columns are shown without profile facts, and long descriptions are cut.`,
    brief: `This list is abridged to stay under its size limit: tables are shown with their row count and first column names only.`,
    names: `This list is abridged to stay under its size limit: tables are listed by name and row count only.`,
    some_names: `This list is abridged to stay under its size limit: only some tables are named.`,
  };
  const note = abridged[detail];
  return [
    '# Data on this laptop (AIDA)',
    `${count(n, 'table')} synced by \`da sync\`${catalog.server ? ` from ${flatten(catalog.server, 200)}` : ''}: DuckDB views in \`user/duckdb/analytics.duckdb\` over the Parquet files in \`server/parquet/\`. Queries run locally and work offline; the database also holds the analyst's own tables.`,
    [
      'How to query:',
      `- Shell: \`da query "SELECT count(*) FROM ${example}"\` (\`--json\` for JSON; \`-f csv --limit 0 > rows.csv\` writes every row to a file).`,
      `- MCP server \`da mcp\` (when connected): ${tools}. \`query\` takes one read-only SELECT; big results come in pages by \`cursor\`, never cut.`,
      `- A table's full profile: \`da explore <table>\` or \`describe_table\`. Fresh data: \`da sync\`.`,
      '- SQL is DuckDB\'s dialect; the table names are the ids below (quote ids with dots or dashes: `"my.table"`).',
    ].join('\n'),
    `## Tables${note ? `\n\n${note} Use \`describe_table\` or \`da explore <table>\` for the details of one table, and \`list_tables\` or \`da status --local\` for all of them.` : ''}`,
    tables.join(LISTED.includes(detail) ? '\n' : '\n\n'),
  ].join('\n\n');
}

/** One table at the given level: a heading with its facts and columns, or one list line. */
function table(t: LocalTable, inputs: ContextInputs, detail: ContextDetail): string {
  const rows = t.rows === null ? '' : ` (${count(t.rows, 'row')})`;
  if (detail === 'names' || detail === 'some_names') return `- \`${t.id}\`${rows}`;
  const profile = inputs.profiles.get(t.id);
  const columns = inputs.columns.get(t.id.toLowerCase()) ?? profile?.columns.map((c) => ({ name: c.name, type: c.type })) ?? [];
  const shownOf = (max: number) => ({ shown: columns.slice(0, max), more: columns.length > max ? columns.length - max : 0 });
  if (detail === 'brief') {
    const { shown, more } = shownOf(COLUMNS_SHOWN.brief);
    return `- \`${t.id}\`${rows}${shown.length ? `: ${shown.map((c) => c.name).join(', ')}${more ? ` +${more}` : ''}` : ''}`;
  }
  const facts = [
    t.rows === null ? undefined : count(t.rows, 'row'),
    t.updated ? `updated ${day(t.updated)}` : undefined,
    t.source ? `source ${flatten(t.source, 60)}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const stale = profile?.stale ? ' (profile stale)' : '';
  const description = t.description ? flatten(t.description, DESCRIPTION_CHARS[detail]) : undefined;
  const { shown, more } = shownOf(COLUMNS_SHOWN[detail]);
  const andMore = more ? ` … and ${more} more (describe_table)` : '';
  let cols: string;
  if (!columns.length) cols = 'Columns: unknown (run da sync --rebuild-views)';
  else if (detail === 'compact') cols = `Columns: ${shown.map((c) => `${c.name} ${c.type}`).join(', ')}${andMore}`;
  else
    cols =
      shown
        .map((c) => {
          const pc = profile?.columns.find((x) => x.name === c.name);
          const notes = pc && profile ? columnNotes(pc, profile) : [];
          return `- \`${c.name}\` ${c.type}${notes.length ? ` — ${notes.join('; ')}` : ''}`;
        })
        .join('\n') + (andMore ? `\n-${andMore}` : '');
  return [`### \`${t.id}\`${facts ? ` — ${facts}${stale}` : ''}`, description, cols].filter(Boolean).join('\n');
}

function moreLine(rest: number): string {
  return rest ? `- … and ${count(rest, 'more table')}: \`list_tables\` or \`da status --local\` names them all.` : '';
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const count = (n: number, noun: string) => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;

function day(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : flatten(iso, 40);
}
