// The rows each table's merge gets for a plan, as JSON objects (one string each, so rows are
// serialised once). Issues merge by key; child tables replace by issue (replaceBy issue_key),
// so an issue written with no rows in a child table sends a `_deleted` row of its key alone:
// without a row of its group the merge would keep the comments (links, …) stored before.
import type { JiraTableName, Row } from '../transform/index.js';
import type { IssueWrite, OpsPlan } from './plan-ops.js';

export const DELETED = '_deleted';

export interface TableBatches {
  /** JSON object per row, by table; a table absent from the batch has none. */
  rows: Map<JiraTableName, string[]>;
  /** Issues whose stored remote_links move to the issue's new created_at (their fetch failed). */
  movedRemoteLinks: { issue_key: string; issue_created_at: string | null }[];
}

const CHILD_TABLES = ['comments', 'attachments', 'changelog', 'issuelinks'] as const;
const ALL_TABLES: readonly JiraTableName[] = ['issues', ...CHILD_TABLES, 'remote_links'];

/** The `_deleted` row that removes every row of one issue from a table. */
function deletion(key: string): string {
  return JSON.stringify({ issue_key: key, [DELETED]: true });
}

/** Rows as they are, or the deletion of the issue's group when it has none and may have some stored. */
function groupRows(key: string, rows: readonly Row[], mayHaveStored = true): string[] {
  if (rows.length) return rows.map((r) => JSON.stringify(r));
  return mayHaveStored ? [deletion(key)] : [];
}

/**
 * Whether the issue may have rows stored in `table`: not for a new issue, nor when its stored
 * row counts none. Sending no rows for it then leaves the table out of the batch, so a push of
 * issues without links or attachments does not rewrite (or even read) those tables.
 */
function mayHaveStored(w: IssueWrite, table: (typeof CHILD_TABLES)[number] | 'remote_links'): boolean {
  if (!w.stored) return false;
  const counts = w.stored.counts;
  const count = table === 'remote_links' ? counts?.remoteLinks : table === 'changelog' ? undefined : counts?.[table];
  return count === undefined || count === null || count > 0;
}

export function tableBatches(plan: OpsPlan): TableBatches {
  const rows = new Map<JiraTableName, string[]>(ALL_TABLES.map((t) => [t, []]));
  const add = (table: JiraTableName, lines: string[]) => rows.get(table)!.push(...lines);
  const movedRemoteLinks: TableBatches['movedRemoteLinks'] = [];

  for (const w of plan.writes) {
    add('issues', groupRows(w.key, w.rows.issues));
    for (const table of CHILD_TABLES) add(table, groupRows(w.key, w.rows[table], mayHaveStored(w, table)));
    if (Array.isArray(w.remoteLinks)) add('remote_links', groupRows(w.key, w.remoteLinks, mayHaveStored(w, 'remote_links')));
    else if (w.remoteLinks === 'move') movedRemoteLinks.push({ issue_key: w.key, issue_created_at: (w.rows.issues[0].created_at as string | null) ?? null });
  }
  for (const key of plan.deletes) for (const table of rows.keys()) add(table, [deletion(key)]);
  return { rows, movedRemoteLinks };
}
