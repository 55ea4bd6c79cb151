// da status: what this workspace holds and when it was synced (--local: from disk only, works
// offline), and without --local also the server's health, who you are there, and what the
// next `da sync` would fetch or remove. A server that does not answer at once is reported
// next to the local state, with the exit code of its failure.
import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { action } from '../command.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { errorBody } from '../output.js';
import { formatBytes } from '@aida/core/light';
import { renderPairs, renderTable } from '../render.js';
import { fetchManifest } from '../sync/manifest.js';
import { planSync } from '../sync/plan.js';
import { emptyState, loadState, type SyncState } from '../sync/state.js';

/** How long the first request of `da status` waits for the server (at most DA_TIMEOUT_MS). */
const PROBE_TIMEOUT_MS = 3000;

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('The workspace, its last sync and (unless --local) the server and pending changes')
    .option('--local', 'only what is on this machine; never contacts the server')
    .option('--tables', 'also list the synced tables with their rows and size')
    .action(action<{ local?: boolean; tables?: boolean }>(status));
}

interface LocalStatus {
  workspace: string;
  server: string | null;
  synced_at: string | null;
  tables: number;
  rows: number;
  bytes: number;
  database: string | null;
  table_list: { id: string; rows: number; bytes: number; files: number }[];
}

async function localStatus(ctx: Context, state: SyncState | undefined): Promise<LocalStatus> {
  const tableList = Object.entries(state?.tables ?? {}).map(([id, t]) => ({
    id,
    rows: t.rows,
    bytes: t.files.reduce((m, f) => m + f.size, 0),
    files: t.files.length,
  }));
  const hasDb = await access(ctx.ws.duckdbPath).then(
    () => true,
    () => false,
  );
  return {
    workspace: ctx.ws.root,
    server: state?.server ?? ctx.connection.server ?? null,
    synced_at: state?.synced_at || null,
    tables: tableList.length,
    rows: tableList.reduce((n, t) => n + t.rows, 0),
    bytes: tableList.reduce((n, t) => n + t.bytes, 0),
    database: hasDb ? ctx.ws.duckdbPath : null,
    table_list: tableList,
  };
}

async function status(ctx: Context, o: { local?: boolean; tables?: boolean }): Promise<void> {
  const state = await loadState(ctx.ws.statePath);
  const local = await localStatus(ctx, state);
  const tableList = () =>
    o.tables && local.table_list.length
      ? `\n\n${renderTable(
          ['table', 'rows', 'size', 'files'],
          local.table_list.map((t) => [t.id, t.rows.toLocaleString('en-US'), formatBytes(t.bytes), t.files]),
        )}`
      : '';
  const localPairs: [string, unknown][] = [
    ['workspace', local.workspace],
    ['server', local.server ?? '(none: run da login)'],
    ['last sync', local.synced_at ?? 'never'],
    ['tables', `${local.tables} (${local.rows.toLocaleString('en-US')} rows, ${formatBytes(local.bytes)})`],
    ['database', local.database ?? '(not created yet: run da sync)'],
  ];
  if (o.local) {
    ctx.out.result({ local }, () => renderPairs(localPairs) + tableList());
    return;
  }
  const api = ctx.api();
  // One quick look first, no retries: with the server down, what is on this machine is what
  // there is to show, and it is shown at once (a sync rightly retries; a status need not).
  let health: { status: string; version?: string };
  try {
    health = await ctx.api({ auth: false, retries: 0, timeoutMs: PROBE_TIMEOUT_MS }).json<{ status: string; version?: string }>('/api/health');
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    const remote = { server: api.server, reachable: e.kind !== 'network' };
    ctx.out.result(
      { local, remote, error: errorBody(e) },
      () => renderPairs([...localPairs, ['server health', `${remote.reachable ? 'error' : 'unreachable'}: ${e.message}`]]) + tableList(),
    );
    if (e.details.hint) ctx.out.info(`hint: ${e.details.hint}`);
    throw new CliError(e.kind, e.message, { ...e.details, reported: true });
  }
  const me = await api.json<{ email: string; role: string }>('/auth/me');
  const manifest = await fetchManifest(api);
  const base = state?.server === api.server ? state : emptyState(api.server);
  const plan = await planSync(ctx.ws, manifest, base);
  const pending = {
    fetch: plan.tables.filter((t) => t.fetch.length).map((t) => t.id),
    bytes: plan.tables.flatMap((t) => t.fetch).reduce((n, j) => n + j.size, 0),
    remove: plan.remove.map((r) => r.table),
  };
  const remote = {
    server: api.server,
    health: health.status,
    version: health.version ?? null,
    user: me,
    available_tables: Object.keys(manifest.tables).length,
    pending,
  };
  ctx.out.result(
    { local, remote },
    () =>
      renderPairs([
        ...localPairs,
        ['server health', `${health.status}${health.version ? ` (AIDA ${health.version})` : ''}`],
        ['signed in as', `${me.email} (${me.role})`],
        ['available', `${remote.available_tables} table(s)`],
        [
          'pending',
          pending.fetch.length || pending.remove.length
            ? `${pending.fetch.length} table(s) to fetch (${formatBytes(pending.bytes)}), ${pending.remove.length} to remove — run da sync`
            : 'nothing: up to date',
        ],
      ]) + tableList(),
  );
}
