// da diagnose: the checks to run when something is off, each ok / warn / fail with what to do:
// the server answers, the token is valid, every local file still has the bytes the last
// manifest promised, the local database has its views, the disk has room.
import { stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { action } from '../command.js';
import type { Context } from '../context.js';
import { CliError, type ErrorKind } from '../errors.js';
import { mainObjects, openLocalDb } from '../local-db.js';
import { formatBytes, mapLimit } from '@aida/core';
import { renderTable } from '../render.js';
import { md5File } from '../sync/hash.js';
import { fetchManifest } from '../sync/manifest.js';
import { loadState, type SyncState } from '../sync/state.js';

type Status = 'ok' | 'warn' | 'fail' | 'skip';

interface Check {
  name: string;
  status: Status;
  detail: string;
  /** What a failure means for the exit code. */
  kind?: ErrorKind;
}

/** Below this much free space a sync of real tables is likely to fail. */
const LOW_DISK_BYTES = 1024 ** 3;

export function registerDiagnose(program: Command): void {
  program.command('diagnose').description('Check the server, the token, the local files and the disk').action(action<object>(diagnose));
}

async function diagnose(ctx: Context): Promise<void> {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);

  const server = ctx.connection.server;
  let reachable = false;
  if (!server) add({ name: 'server', status: 'fail', detail: 'no server configured: run da login --server URL or set DA_SERVER', kind: 'usage' });
  else {
    try {
      const t0 = performance.now();
      const health = await ctx.api({ auth: false }).json<{ status: string; version?: string }>('/api/health');
      reachable = true;
      add({
        name: 'server',
        status: health.status === 'healthy' ? 'ok' : 'warn',
        detail: `${server} answers: ${health.status}${health.version ? `, AIDA ${health.version}` : ''} (${Math.round(performance.now() - t0)} ms)`,
      });
    } catch (e) {
      const kind = e instanceof CliError ? e.kind : 'network';
      add({ name: 'server', status: 'fail', detail: (e as Error).message, kind });
      reachable = kind !== 'network'; // it answered, if with an error
    }
  }

  let tokenValid = false;
  if (!ctx.connection.token) add({ name: 'token', status: 'fail', detail: 'not signed in: run da login or set DA_TOKEN', kind: 'auth' });
  else if (!reachable) add({ name: 'token', status: 'skip', detail: 'server not reachable' });
  else {
    try {
      const me = await ctx.api().json<{ email: string; role: string; token_type?: string }>('/auth/me');
      tokenValid = true;
      add({ name: 'token', status: 'ok', detail: `valid: ${me.email} (${me.role}${me.token_type ? `, ${me.token_type}` : ''})` });
    } catch (e) {
      const err = e as CliError;
      add({ name: 'token', status: 'fail', detail: `${err.message}: run da login`, kind: err.kind ?? 'auth' });
    }
  }

  const state = await loadState(ctx.ws.statePath).catch((e: Error) => {
    add({ name: 'sync state', status: 'fail', detail: e.message, kind: 'data' });
    return undefined;
  });
  if (state) add(await filesCheck(ctx, state));
  else if (!checks.some((c) => c.name === 'sync state')) add({ name: 'local files', status: 'skip', detail: 'never synced in this workspace' });

  if (state && reachable && tokenValid) {
    try {
      const manifest = await fetchManifest(ctx.api());
      const stale = Object.entries(manifest.tables).filter(([id, t]) => !Object.hasOwn(state.tables, id) || state.tables[id].hash !== t.hash).length;
      const gone = Object.keys(state.tables).filter((id) => !Object.hasOwn(manifest.tables, id)).length;
      add({
        name: 'freshness',
        status: stale || gone ? 'warn' : 'ok',
        detail:
          stale || gone
            ? `${stale} table(s) changed or new on the server, ${gone} no longer available: run da sync`
            : `in step with the server's ${Object.keys(manifest.tables).length} table(s)`,
      });
    } catch (e) {
      add({ name: 'freshness', status: 'warn', detail: `manifest not readable: ${(e as Error).message}` });
    }
  }

  if (state) add(await databaseCheck(ctx, state));
  add(await diskCheck(ctx));

  const failed = checks.filter((c) => c.status === 'fail');
  ctx.out.result({ ok: failed.length === 0, workspace: ctx.ws.root, checks: checks.map(({ kind: _k, ...c }) => c) }, () =>
    renderTable(
      ['check', 'status', 'detail'],
      checks.map((c) => [c.name, c.status.toUpperCase(), c.detail]),
      500,
    ),
  );
  if (failed.length) throw new CliError(failed[0].kind ?? 'data', `${failed.length} check(s) failed`, { reported: true });
}

/** Every file the last sync recorded, hashed in full: a mismatch means a damaged copy. */
async function filesCheck(ctx: Context, state: SyncState): Promise<Check> {
  const files = Object.values(state.tables).flatMap((t) => t.files);
  const problems: string[] = [];
  await mapLimit(files, 4, async (f) => {
    const abs = join(ctx.ws.root, f.path);
    const st = await stat(abs).catch(() => undefined);
    if (!st) problems.push(`${f.path} is missing`);
    else if (st.size !== f.size) problems.push(`${f.path} has ${st.size} bytes, expected ${f.size}`);
    else if ((await md5File(abs)) !== f.hash) problems.push(`${f.path} does not match its MD5`);
  });
  if (!problems.length)
    return { name: 'local files', status: 'ok', detail: `${files.length} file(s) match the last manifest (synced ${state.synced_at || 'never'})` };
  return {
    name: 'local files',
    status: 'fail',
    detail: `${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}: run da sync to fetch them again`,
    kind: 'data',
  };
}

async function databaseCheck(ctx: Context, state: SyncState): Promise<Check> {
  try {
    const db = await openLocalDb(ctx.ws);
    try {
      const objects = await mainObjects(db.conn);
      const missing = Object.keys(state.tables).filter((id) => objects.get(id) !== 'sync view');
      if (missing.length)
        return {
          name: 'database',
          status: 'warn',
          detail: `no view for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} (a table or view of yours may have the same name): run da sync --rebuild-views`,
        };
      return { name: 'database', status: 'ok', detail: `${ctx.ws.duckdbPath} has a view for each of ${Object.keys(state.tables).length} table(s)` };
    } finally {
      db.close();
    }
  } catch (e) {
    return { name: 'database', status: 'fail', detail: (e as Error).message, kind: 'data' };
  }
}

async function diskCheck(ctx: Context): Promise<Check> {
  let dir = ctx.ws.root;
  const s = await statfs(dir).catch(async () => {
    dir = process.cwd();
    return statfs(dir);
  });
  const free = s.bavail * s.bsize;
  return { name: 'disk', status: free < LOW_DISK_BYTES ? 'warn' : 'ok', detail: `${formatBytes(free)} free in ${dir}` };
}
