// What the Jira store does, for the sync engine: apply a batch of issue writes and deletions in
// one push (one commit, one rebuild), and read what is stored for the jobs.
import type { ExtractReport } from '@aida/core';
import type { IssueRows } from '../transform/index.js';

export type StoreOp =
  /** The issue's rows as refetched: replace every row of the issue in all six tables (remote_links only when fetched). */
  | { kind: 'upsert'; key: string; rows: IssueRows }
  /** jira:issue_deleted: the issue's rows leave every month of every table. */
  | { kind: 'delete'; key: string };

export interface ApplyResult {
  /** Keys whose rows were written. */
  written: string[];
  /** Upserts skipped because their `updated_at` is older than the stored one. */
  stale: string[];
  /** Keys deleted. */
  deleted: string[];
  /** The push's report (tables written, rows). */
  report: ExtractReport;
}

/** What is stored for one issue, read from the committed extract. */
export interface StoredIssue {
  key: string;
  /** ISO UTC. */
  updatedAt: string | null;
  createdAt: string | null;
  statusCategory: string | null;
  /** The refresh field columns (column → JSON text as the transform wrote it, or null). */
  refresh: Record<string, string | null>;
}
