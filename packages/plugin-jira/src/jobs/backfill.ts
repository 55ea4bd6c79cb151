// jira:sync, the connector's extract: every issue of the configured JQL, paged with
// `POST /search/jql` and `nextPageToken`, refetched through the engine's queue (several at
// once) unless what is stored is as new as Jira's `updated`. Resumable: the page token is
// saved after each page is written, so a stopped run continues where it stopped. Once a full
// pass has ended, later runs ask only for issues updated since the last one started.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { JiraApi } from '../client/types.js';
import type { JiraSync } from '../sync/jira-sync.js';
import type { StoreAccess } from '../sync/store-access.js';

interface BackfillState {
  jql: string;
  /** The query of the pass in progress and where it got to. */
  running?: { query: string; startedAt: string; nextPageToken?: string };
  /** When the last whole pass started: the next one asks for issues updated since. */
  lastCompleteStart?: string;
}

export interface BackfillOptions {
  api: JiraApi;
  sync: JiraSync;
  store: StoreAccess;
  jql: string;
  pageSize: number;
  /** `<sourceDir>/backfill.json`. */
  statePath: string;
  logger: Logger;
  signal: AbortSignal;
}

export interface BackfillResult {
  seen: number;
  refetched: number;
  upToDate: number;
  pages: number;
  resumed: boolean;
  incremental: boolean;
}

/** Jira's `updated` and ours as instants; unreadable is never equal. */
const sameInstant = (a: unknown, b: string | null): boolean => typeof a === 'string' && b !== null && Date.parse(a) === Date.parse(b);

export async function backfill(o: BackfillOptions): Promise<BackfillResult> {
  const state = await readState(o.statePath, o.jql);
  const resumed = state.running !== undefined;
  const incremental = !resumed && state.lastCompleteStart !== undefined;
  if (!state.running) {
    const since = state.lastCompleteStart ? Math.ceil((Date.now() - Date.parse(state.lastCompleteStart)) / 60_000) + 5 : undefined;
    // Relative minutes, not a date: JQL reads absolute dates in the API user's time zone.
    const query = since === undefined ? `(${o.jql}) ORDER BY created ASC` : `(${o.jql}) AND updated >= -${since}m ORDER BY updated ASC`;
    state.running = { query, startedAt: new Date().toISOString() };
    await saveState(o.statePath, state);
  }
  const run = state.running;
  const result: BackfillResult = { seen: 0, refetched: 0, upToDate: 0, pages: 0, resumed, incremental };
  o.logger.info({ query: run.query, resumed }, 'Jira backfill started');
  // The next page is searched and refetched while the previous one commits. The resume point
  // moves past a page once that page is written (pages are written in order), and a run that
  // fails still saves how far it got.
  let saved: Promise<void> = Promise.resolve();
  let cursor = run.nextPageToken;
  try {
    for (;;) {
      o.signal.throwIfAborted();
      const page = await o.api.search({ jql: run.query, fields: ['updated'], maxResults: o.pageSize, nextPageToken: cursor }, o.signal);
      result.pages++;
      result.seen += page.issues.length;
      const stored = new Map((await o.store.listStored({ keys: page.issues.map((i) => i.key) })).map((s) => [s.key, s]));
      const changed = page.issues.filter((i) => !sameInstant(i.fields.updated, stored.get(i.key)?.updatedAt ?? null)).map((i) => i.key);
      result.upToDate += page.issues.length - changed.length;
      for (const key of changed) if (!o.sync.refetch(key)) throw new Error('the refetch queue is full; the backfill resumes from this page next run');
      result.refetched += changed.length;
      const written = Promise.all(changed.map((k) => o.sync.settled(k)));
      const resumeAt = page.nextPageToken;
      saved = saved.then(async () => {
        await written;
        if (!resumeAt) return;
        run.nextPageToken = resumeAt;
        await saveState(o.statePath, state);
      });
      if (!resumeAt) break;
      cursor = resumeAt;
    }
  } finally {
    await saved;
  }
  state.lastCompleteStart = run.startedAt;
  delete state.running;
  await saveState(o.statePath, state);
  o.logger.info(result, 'Jira backfill ended');
  return result;
}

async function readState(path: string, jql: string): Promise<BackfillState> {
  try {
    const s = JSON.parse(await readFile(path, 'utf8')) as BackfillState;
    // Another scope is another dataset: start over.
    if (s.jql === jql) return s;
  } catch {
    // none yet, or unreadable: a full pass rebuilds it
  }
  return { jql };
}

async function saveState(path: string, state: BackfillState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, JSON.stringify(state, null, 2));
  await rename(tmp, path);
}
