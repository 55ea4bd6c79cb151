// da sync: fetch the manifest, diff it with the workspace, download what is missing, changed
// or corrupt (in parallel, resumable, verified), remove what the manifest no longer lists,
// refresh the profiles of what changed and bring the local DuckDB's views up to date.
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { action } from '../command.js';
import type { Context } from '../context.js';
import { CliError, usageError, type ErrorKind } from '../errors.js';
import { openLocalDb, rebuildViews, ViewBatch, type LocalDb, type ViewResult } from '../local-db.js';
import { installFiles, removeStaleParts, type Downloaded } from '../sync/download.js';
import { fetchFiles } from '../sync/fetch-files.js';
import { fetchManifest } from '../sync/manifest.js';
import { planSync, type FileJob, type Removal, type RemovalReason, type TablePlan } from '../sync/plan.js';
import { ProfileRefresh } from '../sync/profiles.js';
import { ProfilesFile } from '../profiles-file.js';
import { syncProgress } from '../sync/progress.js';
import { withSyncLock } from '../sync/lock.js';
import { pendingUploads, runUploads, type UploadReport } from '../sync/uploads.js';
import { emptyState, loadState, saveState, type SyncState } from '../sync/state.js';
import { fetchBundle, RULES_DIR, syncRules, type RulesResult } from '../sync/rules.js';
import { fetchCatalog } from '../agent-context/catalog-file.js';
import { tableFile } from '../workspace.js';
import type { Api } from '../api.js';
import { formatBytes } from '@aida/core/light';

interface SyncOptions {
  table?: string[];
  dryRun?: boolean;
  parallel?: string;
  rebuildViews?: boolean;
  /** false with --no-upload. */
  upload?: boolean;
  uploadOnly?: boolean;
  /** false with --no-rules. */
  rules?: boolean;
}

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('Download the tables you may read into ./server/parquet and refresh the views in ./user/duckdb/analytics.duckdb')
    .option('-t, --table <id...>', 'only these tables')
    .option('--dry-run', 'show what would change; change nothing')
    .option('-p, --parallel <n>', 'downloads at once', '4')
    .option('--rebuild-views', 'recreate the view of every synced table (e.g. after you dropped one)')
    .option('--no-upload', 'do not upload user/sessions, user/artifacts and CLAUDE.local.md')
    .option('--upload-only', 'only upload them; download nothing')
    .option('--no-rules', 'do not refresh the corporate memory rules in .claude/rules')
    .action(action<SyncOptions>((ctx, o) => (o.dryRun ? sync(ctx, o) : withSyncLock(ctx.ws, () => sync(ctx, o)))));
}

async function sync(ctx: Context, o: SyncOptions): Promise<void> {
  const started = performance.now();
  const parallel = Number(o.parallel ?? 4);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 32) throw usageError(`--parallel must be a whole number from 1 to 32, not '${o.parallel}'`);
  const api = ctx.api();
  const ws = ctx.ws;
  if (o.uploadOnly && o.upload === false) throw usageError('--upload-only and --no-upload contradict each other');
  if (o.uploadOnly) return uploadOnly(ctx, api, o);
  // Uploads go with a whole-workspace sync, not with one limited to --table.
  const uploadsWanted = o.upload !== false && !o.table?.length;
  // Rules too: they belong to the workspace, not to a table.
  const rulesWanted = o.rules !== false && !o.table?.length;
  // The rules bundle and the catalog are asked for with the manifest, not one after another at
  // the end: a sync with nothing to do waited for the three in turn. Failures are read (and
  // reported as before) where the answers are used.
  const early = o.dryRun ? undefined : { bundle: rulesWanted ? fetchBundle(api) : undefined, catalog: fetchCatalog(api) };
  early?.bundle?.catch(() => undefined);
  early?.catalog.catch(() => undefined);
  const savedProfiles = o.dryRun ? undefined : ProfilesFile.load(ws);
  savedProfiles?.catch(() => undefined);
  const manifest = await fetchManifest(api);
  const previous = await loadState(ws.statePath);
  const state: SyncState = previous?.server === api.server ? previous : emptyState(api.server);
  if (previous && previous.server !== api.server)
    ctx.out.warn(
      `this workspace was synced from ${previous.server}; every file is verified again against ${api.server}, and tables it does not list are removed`,
    );
  const plan = await planSync(ws, manifest, state, o.table, Object.keys(previous?.tables ?? {}));
  for (const id of plan.skipped) ctx.out.warn(`skipped table '${id}': its id or part names cannot be used as file names`);
  const jobs = plan.tables.flatMap((t) => t.fetch);
  const totalBytes = jobs.reduce((n, j) => n + j.size, 0);
  const removed = plan.remove.map((r) => r.table);
  const removals = describeRemovals(plan.remove, api.server, previous?.server);

  if (o.dryRun) {
    const toUpload = uploadsWanted ? (await pendingUploads(ws, previous?.uploads?.[api.server] ?? {})).uploads : [];
    const rules = rulesWanted ? await syncRules(api, ws.root, { dryRun: true }) : null;
    const summary = {
      dry_run: true,
      server: api.server,
      fetch: jobs.map((j) => ({ table: j.table, part: j.part, bytes: j.size, reason: j.reason })),
      remove: removed,
      removals,
      upload: toUpload.map((u) => ({ path: u.path, kind: u.kind, bytes: u.size })),
      rules,
      up_to_date: plan.tables.filter((t) => !t.fetch.length).length,
    };
    ctx.out.result(summary, () =>
      [
        ...jobs.map((j) => `fetch   ${j.table}${j.part ? ` [${j.part}]` : ''}  ${formatBytes(j.size)}  (${j.reason})`),
        ...removals.map((r) => `remove  ${r.table}: ${r.message}`),
        ...toUpload.map((u) => `upload  ${u.path}  ${formatBytes(u.size)}`),
        ...dryRunRuleLines(rules),
        `${jobs.length} file(s) to fetch (${formatBytes(totalBytes)}), ${removed.length} table(s) to remove, ${toUpload.length} file(s) to upload, ${summary.up_to_date} up to date`,
      ].join('\n'),
    );
    return;
  }

  // Downloads. Verified parts stay `.part` files until every file of their table is in: a
  // table is replaced whole or not at all (the next sync reuses verified parts, no transfer).
  const resumable = await removeStaleParts(ws, jobs);
  // The heavy modules (DuckDB's, @aida/core's) load once the first download has its answer:
  // started before, their main-thread CPU delayed the first request by as much (`--cpu-prof` of
  // a one-table sync); while bytes arrive the main thread has time to spare.
  let firstAnswer = () => {};
  const answered = new Promise<void>((resolve) => (firstAnswer = resolve));
  if (!jobs.length) firstAnswer();
  // With files to fetch, the local DuckDB opens while they download, and each table's view is
  // made as soon as the table is in place (one transaction, committed after the last one).
  const views = jobs.length ? openViews(ctx, answered) : undefined;
  // Loaded while the files download: it needs @aida/core, which `da sync` no longer loads at start.
  const agentContextModule = answered.then(() => import('../agent-context/write.js'));
  agentContextModule.catch(() => undefined);
  const progress = await syncProgress(ctx.out.interactive, ctx.out.errStream, totalBytes, jobs.length);
  const failures: { job: FileJob; error: Error }[] = [];
  const done = new Map<string, Downloaded[]>();
  const failedTables = new Set<string>();
  const changed = new Set<string>();
  const pending = new Map(plan.tables.map((t) => [t.id, t.fetch.length]));
  const settling: Promise<void>[] = [];
  // Profiles come over the network while files download and DuckDB (on its own threads) builds the views.
  const profileAssets = manifest.assets?.profiles ?? {};
  const profilesFile = await savedProfiles!;
  const profileRefresh = new ProfileRefresh(api, profilesFile, state);
  // The new state: complete tables take their manifest entry; a table with a failed file
  // keeps its old entry (its old files are still there, its view still reads them).
  const settle = async (t: TablePlan) => {
    const files = [...t.current, ...(await installFiles(ws, done.get(t.id) ?? []))];
    const order = new Map(t.entry.parts?.map((p, i) => [tableFile(t.id, p.part), i]) ?? []);
    files.sort((a, b) => (order.get(a.path) ?? 0) - (order.get(b.path) ?? 0));
    const before = Object.hasOwn(state.tables, t.id) ? state.tables[t.id] : undefined;
    if (!before || before.hash !== t.entry.hash || t.fetch.length) changed.add(t.id);
    await removeFiles(
      ws.root,
      (before?.files ?? []).map((f) => f.path).filter((p) => !files.some((f) => f.path === p)),
    );
    state.tables[t.id] = { hash: t.entry.hash, rows: t.entry.rows, updated: t.entry.updated ?? null, files, profiled_at: before?.profiled_at };
    // Newer on the server, or missing here (a profiles file lost or not yet moved over).
    if (Object.hasOwn(profileAssets, t.id) && (profileAssets[t.id].profiled_at !== before?.profiled_at || !profilesFile.get(t.id))) profileRefresh.add(t.id);
    if (changed.has(t.id))
      (await views?.batch.catch(() => undefined))?.table(
        t.id,
        files.map((f) => f.path),
        true,
      );
  };
  const byId = new Map(plan.tables.map((t) => [t.id, t]));
  const finished = (job: FileJob) => {
    const left = pending.get(job.table)! - 1;
    pending.set(job.table, left);
    if (left || failedTables.has(job.table)) return;
    const p = settle(byId.get(job.table)!);
    // Awaited after the downloads; handled now so a failure meanwhile is not "unhandled".
    p.catch(() => undefined);
    settling.push(p);
  };
  let uploads: UploadReport | undefined;
  let viewResult: ViewResult;
  let profiles: { saved: number; missing: number };
  let rules: RulesResult | null;
  let agentContext: Awaited<ReturnType<(typeof import('../agent-context/write.js'))['refreshAgentContext']>>;
  try {
    try {
      await fetchFiles(api, ws, jobs, {
        parallel,
        resumable,
        progress,
        onAnswer: firstAnswer,
        onFetched: (d) => {
          done.set(d.job.table, [...(done.get(d.job.table) ?? []), d]);
          finished(d.job);
        },
        onFailed: (job, error) => {
          failures.push({ job, error });
          failedTables.add(job.table);
          finished(job);
        },
      });
    } finally {
      progress.stop();
    }
    await Promise.all(settling);
    for (const t of plan.tables) if (!t.fetch.length && !failedTables.has(t.id)) await settle(t);
    for (const id of removed) {
      const held = [state.tables, previous?.tables ?? {}].find((t) => Object.hasOwn(t, id))?.[id];
      await removeFiles(ws.root, [...(held?.files.map((f) => f.path) ?? []), tableFile(id)]);
      await rm(join(ws.root, 'server', 'parquet', id), { recursive: true, force: true });
      profilesFile.delete(id);
      delete state.tables[id];
    }

    if (previous?.uploads) state.uploads ??= previous.uploads;
    uploads = uploadsWanted ? await uploadWorkspace(ctx, api, state) : undefined;

    const viewChanges = o.rebuildViews ? new Set(Object.keys(state.tables)) : changed;
    [viewResult, profiles] = await Promise.all([
      views ? commitViews(views, state, viewChanges, removed) : refreshViews(ctx, state, viewChanges, removed),
      profileRefresh.finish((m) => ctx.out.warn(m)),
    ]);

    // Before the state that records their profiled_at: a crash between the two refetches them.
    await profilesFile.save();
    state.synced_at = new Date().toISOString();
    await saveState(ws.statePath, state);
    rules = rulesWanted ? await syncRules(api, ws.root, {}, early?.bundle) : null;
    if (rules && 'skipped' in rules) for (const s of rules.skipped) ctx.out.warn(`rule note '${s.id}' not written: ${s.reason}`);
    // The database the views were just made in lists their columns for the context file.
    const db = views ? await views.db : undefined;
    agentContext = await (
      await agentContextModule
    ).refreshAgentContext(api, ws, manifest, (m) => ctx.out.warn(m), { db, catalog: early?.catalog, profiles: profilesFile });
  } finally {
    await views?.close();
  }

  const fetched = [...done.values()]
    .flat()
    .map((d) => ({ table: d.job.table, part: d.job.part, bytes: d.transferred, resumed_from: d.resumedFrom, reason: d.job.reason }));
  const result = {
    server: api.server,
    workspace: ws.root,
    tables: Object.keys(state.tables).length,
    fetched,
    bytes_transferred: fetched.reduce((n, f) => n + f.bytes, 0),
    removed,
    removals,
    up_to_date: plan.tables.filter((t) => !t.fetch.length).length,
    views: viewResult,
    profiles,
    failed: failures.map((f) => ({ table: f.job.table, part: f.job.part, error: f.error.message })),
    uploads: uploads ?? null,
    rules,
    agent_context: agentContext,
    duration_ms: Math.round(performance.now() - started),
  };
  for (const id of viewResult.shadowed)
    ctx.out.warn(`your table '${id}' in analytics.duckdb has the name of a synced table; it was kept and the synced data is not visible as a view`);
  const problems = [
    ...failures.map((f) => ({ path: f.job.path, error: f.error.message, kind: f.error instanceof CliError ? f.error.kind : 'data' })),
    ...(uploads?.failed ?? []),
    ...(rules && 'error' in rules
      ? [{ path: RULES_DIR, error: `corporate memory rules not refreshed (the files there are kept): ${rules.error}`, kind: rules.kind }]
      : []),
  ];
  const removedLines = [...removals.map((r) => `removed  ${r.table}: ${r.message}`), ...ruleLines(rules)];
  if (problems.length) {
    ctx.out.result(result, () => [...removedLines, ...problems.map((f) => `failed  ${f.path}: ${f.error}`)].join('\n'));
    if (!ctx.out.json)
      ctx.out.info(
        `${problems.length} file(s) could not be synced; the rest is up to date. Run da sync again: finished downloads are kept and interrupted ones resume.`,
      );
    throw new CliError(mostTelling(problems.map((p) => p.kind)), `${problems.length} file(s) could not be synced`, { reported: true });
  }
  ctx.out.result(result, () =>
    [
      ...removedLines,
      `${result.tables} table(s) in ${ws.root}: ${fetched.length} file(s) fetched (${formatBytes(result.bytes_transferred)}), ${removed.length} removed${removed.length ? ` (${nameSome(removed)})` : ''}, ${result.up_to_date} up to date${uploads ? `, ${uploads.uploaded.length} uploaded` : ''} — ${(result.duration_ms / 1000).toFixed(1)} s`,
    ].join('\n'),
  );
}

/**
 * Each table leaving the workspace, with why. The manifest only shows that a table is gone,
 * not whether access was revoked or the table deleted, so the message names the candidates.
 */
function describeRemovals(
  removals: Removal[],
  server: string,
  syncedFrom: string | undefined,
): { table: string; reason: RemovalReason | 'other_server'; message: string }[] {
  return removals.map(({ table, reason }) => {
    if (reason === 'unsafe_id') return { table, reason, message: 'its id or part names cannot be used as file names' };
    if (syncedFrom !== undefined && syncedFrom !== server)
      return { table, reason: 'other_server', message: `not listed by ${server} (this workspace was synced from ${syncedFrom})` };
    return {
      table,
      reason,
      message: 'no longer in your sync manifest: your access was revoked, the table was removed on the server, or your sync settings leave it out',
    };
  });
}

/** `rules: 3 written, 1 removed (.claude/rules)`; nothing when there are no rules and none were removed. */
function ruleLines(rules: RulesResult | null): string[] {
  if (!rules || !('written' in rules)) return [];
  const counts = (['written', 'updated', 'removed', 'unchanged'] as const).filter((k) => rules[k].length).map((k) => `${rules[k].length} ${k}`);
  return counts.length ? [`rules: ${counts.join(', ')} (${rules.dir})`] : [];
}

function dryRunRuleLines(rules: RulesResult | null): string[] {
  if (!rules) return [];
  if ('error' in rules) return [`rules   not checked: ${rules.error}`];
  if (!('written' in rules)) return [];
  return [...rules.written.map((p) => `write   ${p}`), ...rules.updated.map((p) => `update  ${p}`), ...rules.removed.map((p) => `remove  ${p}`)];
}

/** Up to five names for a one-line summary; the lines above it name every one. */
function nameSome(ids: string[]): string {
  return ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
}

/**
 * The most telling kind of failure wins: a lost token over bad data over a failing server
 * over a vanished table over the network. Filesystem errors (disk full) are data errors.
 */
function mostTelling(kinds: string[]): ErrorKind {
  return (['auth', 'data', 'server', 'usage', 'network'] as const).find((k) => kinds.includes(k)) ?? 'data';
}

/** Uploads new or changed files of user/ and CLAUDE.local.md, recording each in the state. */
async function uploadWorkspace(ctx: Context, api: Api, state: SyncState): Promise<UploadReport> {
  const done = ((state.uploads ??= {})[api.server] ??= {});
  const { uploads, skipped } = await pendingUploads(ctx.ws, done);
  const report = await runUploads(api, ctx.ws, uploads, (u) => (done[u.path] = { hash: u.hash, size: u.size, mtime_ms: u.mtime_ms }));
  report.skipped.unshift(...skipped);
  for (const s of report.skipped) ctx.out.warn(`not uploaded: ${s.path}: ${s.reason}`);
  return report;
}

/** `da sync --upload-only`. */
async function uploadOnly(ctx: Context, api: Api, o: SyncOptions): Promise<void> {
  if (o.dryRun) {
    const { uploads } = await pendingUploads(ctx.ws, (await loadState(ctx.ws.statePath))?.uploads?.[api.server] ?? {});
    ctx.out.result(
      { dry_run: true, upload: uploads.map((u) => ({ path: u.path, kind: u.kind, bytes: u.size })) },
      () => uploads.map((u) => `upload  ${u.path}  ${formatBytes(u.size)}`).join('\n') || 'nothing to upload',
    );
    return;
  }
  // The downloaded side of the state stays as it is (whichever server it came from).
  const state = (await loadState(ctx.ws.statePath)) ?? emptyState(api.server);
  const report = await uploadWorkspace(ctx, api, state);
  await saveState(ctx.ws.statePath, state);
  ctx.out.result(
    { server: api.server, uploads: report },
    () => `${report.uploaded.length} file(s) uploaded${report.failed.length ? `, ${report.failed.length} failed` : ''}`,
  );
  if (report.failed.length) throw new CliError(mostTelling(report.failed.map((f) => f.kind)), `${report.failed.length} upload(s) failed`, { reported: true });
}

async function removeFiles(root: string, paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => rm(join(root, p), { force: true })));
}

/** The local DuckDB opened while files download, with the transaction their views go into. */
interface OpenViews {
  db: Promise<LocalDb>;
  /** Rejects as opening the database did (reported when the views are committed, as before). */
  batch: Promise<ViewBatch>;
  close(): Promise<void>;
}

function openViews(ctx: Context, after: Promise<void>): OpenViews {
  const db: Promise<LocalDb> = after.then(() => openLocalDb(ctx.ws));
  const batch = db.then((d) => ViewBatch.begin(d));
  batch.catch(() => undefined);
  db.catch(() => undefined);
  return {
    db,
    batch,
    async close() {
      const d = await db.catch(() => undefined);
      d?.close();
    },
  };
}

/** Adds the views not made during the downloads (unchanged tables without one, --rebuild-views, removals) and commits them all. */
async function commitViews(views: OpenViews, state: SyncState, changed: Set<string>, removed: string[]): Promise<ViewResult> {
  const batch = await views.batch;
  for (const [id, t] of Object.entries(state.tables))
    batch.table(
      id,
      t.files.map((f) => f.path),
      changed.has(id),
    );
  for (const id of removed) batch.drop(id);
  return batch.commit(Object.keys(state.tables));
}

/**
 * Views change only for tables whose files changed or that are gone (and are created where
 * missing). With nothing changed the database is not even opened: that keeps a no-op sync of
 * 1,000 tables well under a second.
 */
async function refreshViews(ctx: Context, state: SyncState, changed: Set<string>, removed: string[]): Promise<ViewResult> {
  const exists = await access(ctx.ws.duckdbPath).then(
    () => true,
    () => false,
  );
  if (exists && !changed.size && !removed.length) return { created: [], dropped: [], shadowed: [] };
  const db = await openLocalDb(ctx.ws);
  try {
    const synced = new Map(Object.entries(state.tables).map(([id, t]) => [id, t.files.map((f) => f.path)]));
    return await rebuildViews(db, { synced, changed, removed });
  } finally {
    db.close();
  }
}
