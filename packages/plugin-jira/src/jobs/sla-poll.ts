// jira:sla-poll: SLA timers and other refresh fields change without Jira sending a webhook,
// and a missed webhook can leave an issue open here that is Done at Jira (upstream #203). So
// every issue stored as not Done has its refresh fields and status re-read (one light call
// each), and is refetched whole when anything differs.
import type { Logger } from 'pino';
import { mapLimit } from '@aida/core';
import type { JiraApi } from '../client/types.js';
import type { JiraSync } from '../sync/jira-sync.js';
import type { StoreAccess } from '../sync/store-access.js';
import { redactJson, refreshFieldColumns, statusCategory } from '../transform/index.js';

export interface SlaPollOptions {
  api: JiraApi;
  sync: JiraSync;
  store: StoreAccess;
  refreshFields: Readonly<Record<string, string>>;
  parallel: number;
  logger: Logger;
  signal: AbortSignal;
}

export interface SlaPollResult {
  open: number;
  /** Refetched because a refresh field or `updated` changed. */
  updated: number;
  /** Refetched because Jira now says Done. */
  healed: number;
  unchanged: number;
  /** Gone at Jira (404) or failed to read. */
  skipped: number;
  failed: number;
}

type Json = Record<string, unknown>;

export async function slaPoll(o: SlaPollOptions): Promise<SlaPollResult> {
  const open = await o.store.listStored({ openOnly: true });
  const result: SlaPollResult = { open: open.length, updated: 0, healed: 0, unchanged: 0, skipped: 0, failed: 0 };
  const fieldIds = [...new Set([...Object.values(o.refreshFields), 'status', 'resolution', 'resolutiondate', 'updated'])];
  const toRefetch: string[] = [];
  await mapLimit(open, o.parallel, async (stored) => {
    o.signal.throwIfAborted();
    let fields: Json | null;
    try {
      const issue = await o.api.getIssueFields(stored.key, fieldIds, o.signal);
      fields = issue === null ? null : issue.fields;
    } catch (e) {
      if (o.signal.aborted) throw e;
      result.failed++;
      o.logger.warn({ err: e, issue: stored.key }, 'SLA poll could not read the issue');
      return;
    }
    if (fields === null) {
      result.skipped++;
      return;
    }
    const category = statusCategory(fields.status);
    if (category === 'Done') {
      result.healed++;
      toRefetch.push(stored.key);
    } else if (
      typeof fields.updated !== 'string' ||
      Date.parse(fields.updated) !== Date.parse(stored.updatedAt ?? '') ||
      refreshChanged(fields, stored.refresh, o.refreshFields)
    ) {
      result.updated++;
      toRefetch.push(stored.key);
    } else {
      result.unchanged++;
    }
  });
  for (const key of toRefetch) o.sync.refetch(key);
  await Promise.all(toRefetch.map((k) => o.sync.settled(k)));
  o.logger.info(result, 'Jira SLA poll ended');
  return result;
}

/** Whether any refresh field differs from its stored column (both as the transform writes them: redacted JSON). */
function refreshChanged(fields: Json, stored: Readonly<Record<string, string | null>> | undefined, refreshFields: Readonly<Record<string, string>>): boolean {
  if (!stored) return true;
  for (const { column, fieldId } of refreshFieldColumns(refreshFields)) {
    const now = fields[fieldId] === undefined || fields[fieldId] === null ? null : JSON.stringify(redactJson(fields[fieldId]));
    if (now !== (stored[column] ?? null)) return true;
  }
  return false;
}
