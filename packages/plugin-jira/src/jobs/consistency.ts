// jira:consistency: webhooks get lost (Jira gives up on a receiver that was down, a delivery
// failed). Every run compares the issues Jira has in the recent window with what is stored —
// missing keys and, unlike the upstream's key-only check, stale `updated` — and refetches up to
// `maxFixes` of them. More than that is reported as a warning for an admin to act on (a full
// `jira:sync`), not fixed silently in one long run.
import type { Logger } from 'pino';
import type { JiraApi } from '../client/types.js';
import type { JiraSync } from '../sync/jira-sync.js';
import type { StoreAccess } from '../sync/store-access.js';

export interface ConsistencyOptions {
  api: JiraApi;
  sync: JiraSync;
  store: StoreAccess;
  jql: string;
  windowDays: number;
  maxFixes: number;
  pageSize: number;
  logger: Logger;
  signal: AbortSignal;
}

export interface ConsistencyResult {
  /** Issues Jira has in the window. */
  checked: number;
  missing: number;
  stale: number;
  fixed: number;
  /** Set when more differ than one run fixes. */
  warning?: string;
}

export async function consistencyCheck(o: ConsistencyOptions): Promise<ConsistencyResult> {
  // Issues created in the last window, up to five minutes ago: younger ones may still be on their way by webhook.
  const query = `(${o.jql}) AND created >= -${o.windowDays}d AND created <= -5m ORDER BY created ASC`;
  const atJira = new Map<string, string | undefined>();
  let token: string | undefined;
  do {
    o.signal.throwIfAborted();
    const page = await o.api.search({ jql: query, fields: ['updated'], maxResults: o.pageSize, nextPageToken: token }, o.signal);
    for (const i of page.issues) atJira.set(i.key, typeof i.fields.updated === 'string' ? i.fields.updated : undefined);
    token = page.nextPageToken;
  } while (token);

  const stored = new Map((await o.store.listStored({ keys: [...atJira.keys()] })).map((s) => [s.key, s]));
  const missing: string[] = [];
  const stale: string[] = [];
  for (const [key, updated] of atJira) {
    const s = stored.get(key);
    if (!s) missing.push(key);
    else if (updated !== undefined && (s.updatedAt === null || Date.parse(s.updatedAt) < Date.parse(updated))) stale.push(key);
  }
  const fixes = [...missing, ...stale].slice(0, o.maxFixes);
  for (const key of fixes) o.sync.refetch(key);
  await Promise.all(fixes.map((k) => o.sync.settled(k)));
  const result: ConsistencyResult = { checked: atJira.size, missing: missing.length, stale: stale.length, fixed: fixes.length };
  const left = missing.length + stale.length - fixes.length;
  if (left > 0) {
    result.warning = `${missing.length} issues missing and ${stale.length} out of date in the last ${o.windowDays} days; ${fixes.length} fixed, ${left} left: run jira:sync to catch up`;
    o.logger.warn(result, result.warning);
  } else {
    o.logger[fixes.length > 0 ? 'info' : 'debug'](result, 'Jira consistency check ended');
  }
  return result;
}
