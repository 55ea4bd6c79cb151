// da explore TABLE: the column profile, from the copy `da sync` saved (offline) or from the
// server (--remote, or when there is no copy), laid out for a terminal.
import type { Command } from 'commander';
import { action } from '../command.js';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { ProfilesFile, type SavedProfile } from '../profiles-file.js';
import { withSyncLock } from '../sync/lock.js';
import { isSafeTableId } from '../sync/manifest.js';
import { cellText, renderPairs, renderTable } from '../render.js';

interface ColumnProfile {
  name: string;
  type: string;
  null_pct: number;
  distinct_count: number;
  min?: unknown;
  max?: unknown;
  mean?: number | null;
  stddev?: number | null;
  top_values?: { value: string; count: number }[];
}

interface TableProfile {
  table: string;
  rows: number;
  columns: ColumnProfile[];
  sampled: boolean;
  sample_size: number | null;
  profiled_at: string;
  alerts: { column: string; type: string; message: string }[];
  stale?: boolean;
}

export function registerExplore(program: Command): void {
  program
    .command('explore')
    .description("A table's column profile: types, nulls, distinct values, ranges, top values, alerts")
    .argument('<table>', 'table id')
    .option('--remote', 'ask the server even when a local copy exists')
    .action(action<{ remote?: boolean }, [string]>(explore));
}

async function explore(ctx: Context, o: { remote?: boolean }, table: string): Promise<void> {
  const id = table.toLowerCase();
  if (!isSafeTableId(id)) throw usageError(`'${table}' is not a table id`);
  let profile: TableProfile | undefined;
  let source = 'local';
  // A saved copy that is not a profile is ignored (and replaced below).
  const saved = o.remote ? undefined : (await ProfilesFile.load(ctx.ws)).get(id);
  if (isProfile(saved)) profile = saved;
  if (!profile) {
    source = 'remote';
    const fetched = await ctx.api().json<TableProfile>(`/api/catalog/profile/${encodeURIComponent(id)}`);
    profile = fetched;
    await keep(ctx, id, fetched);
  }
  ctx.out.result({ source, profile }, () => render(profile!, source));
}

/**
 * Saves a profile fetched from the server for the next offline look, under the sync lock (the
 * file is read, changed and written whole). While a sync runs it is not saved: that sync
 * writes the file, and brings the profile anyway.
 */
async function keep(ctx: Context, id: string, profile: TableProfile): Promise<void> {
  await withSyncLock(ctx.ws, async () => {
    const file = await ProfilesFile.load(ctx.ws);
    file.set(id, profile as unknown as SavedProfile);
    await file.save();
  }).catch((e: unknown) => {
    if (!(e instanceof CliError && e.kind === 'usage')) throw e;
  });
}

function isProfile(p: unknown): p is TableProfile {
  const x = p as Partial<TableProfile> | undefined;
  return Boolean(
    x &&
    typeof x.rows === 'number' &&
    Array.isArray(x.columns) &&
    Array.isArray(x.alerts) &&
    x.columns.every((c) => typeof c?.name === 'string' && typeof c.null_pct === 'number'),
  );
}

function render(p: TableProfile, source: string): string {
  const head = renderPairs([
    ['table', p.table],
    ['rows', p.rows.toLocaleString('en-US')],
    ['columns', p.columns.length],
    ['profiled', `${p.profiled_at}${p.stale ? ' (stale: the data changed since)' : ''} [${source}]`],
    ...(p.sampled ? [['sample', `${p.sample_size?.toLocaleString('en-US')} rows`] as [string, unknown]] : []),
  ]);
  const num = (v: number | null | undefined) => (v === null || v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toPrecision(6));
  const cols = renderTable(
    ['column', 'type', 'null %', 'distinct', 'min', 'max', 'mean', 'top values'],
    p.columns.map((c) => [
      c.name,
      c.type,
      c.null_pct.toFixed(1),
      c.distinct_count,
      cellText(c.min),
      cellText(c.max),
      num(c.mean),
      (c.top_values ?? [])
        .slice(0, 3)
        .map((t) => `${t.value} (${t.count})`)
        .join(', '),
    ]),
  );
  const alerts = p.alerts.length ? `\nalerts\n${p.alerts.map((a) => `  ${a.column}: ${a.message}`).join('\n')}` : '';
  return `${head}\n\n${cols}${alerts}`;
}
