// What a batch of ops does once several ops of one key and the stored versions are taken into
// account: ops are taken in order, so a delete after an upsert deletes and an upsert after a
// delete writes; an upsert older (by updated_at) than the version it would replace — the stored
// one, or an earlier upsert of the batch — is stale and skipped, so a late refetch never rolls
// an issue back. Pure: the store reads the stored versions, this decides.
import { InputError } from '@aida/core';
import type { IssueRows, Row } from '../transform/index.js';
import type { StoreOp } from './types.js';

/** The stored issue's times as epoch milliseconds (null when the column is NULL). */
export interface StoredTimes {
  updatedMs: number | null;
  createdMs: number | null;
  /** The stored issue row's counts of its children; null when unknown. */
  counts?: { comments: number | null; attachments: number | null; issuelinks: number | null; remoteLinks?: number | null };
}

/**
 * What happens to the remote_links of a written issue: its rows as fetched; `keep` the stored
 * rows (the fetch failed); `move` the stored rows with the issue's new created_at (the fetch
 * failed and the issue changed month, so its stored rows must change part with it).
 */
export type RemoteLinksPlan = Row[] | 'keep' | 'move';

export interface IssueWrite {
  key: string;
  rows: IssueRows;
  remoteLinks: RemoteLinksPlan;
  /** What was stored for the key before this batch (undefined: a new issue, nothing of it to replace). */
  stored: StoredTimes | undefined;
}

export interface OpsPlan {
  writes: IssueWrite[];
  deletes: string[];
  /** Keys of which an upsert was skipped as stale and nothing is written. */
  stale: string[];
}

type KeyState = { kind: 'stored'; times: StoredTimes | undefined } | { kind: 'upsert'; rows: IssueRows; afterDelete: boolean } | { kind: 'delete' };

/** Folds `ops` over what is stored (by key) into one outcome per key, in the order keys first appear. */
export function planOps(ops: readonly StoreOp[], stored: ReadonlyMap<string, StoredTimes>): OpsPlan {
  const states = new Map<string, KeyState>();
  const skipped = new Set<string>();
  for (const op of ops) {
    const state = states.get(op.key) ?? { kind: 'stored', times: stored.get(op.key) };
    if (op.kind === 'delete') {
      states.set(op.key, { kind: 'delete' });
      continue;
    }
    assertRowsOf(op.key, op.rows);
    if (isOlder(updatedMsOf(op.rows), baselineMs(state))) {
      skipped.add(op.key);
      states.set(op.key, state);
      continue;
    }
    const afterDelete = state.kind === 'delete' || (state.kind === 'upsert' && state.afterDelete);
    states.set(op.key, { kind: 'upsert', rows: op.rows, afterDelete });
  }

  const plan: OpsPlan = { writes: [], deletes: [], stale: [] };
  for (const [key, state] of states) {
    if (state.kind === 'delete') plan.deletes.push(key);
    else if (state.kind === 'upsert')
      plan.writes.push({ key, rows: state.rows, remoteLinks: remoteLinksPlan(state.rows, state.afterDelete, stored.get(key)), stored: stored.get(key) });
    else if (skipped.has(key)) plan.stale.push(key);
  }
  return plan;
}

/** The updated_at an upsert must not be older than; none after a delete or without a stored time. */
function baselineMs(state: KeyState): number | null {
  if (state.kind === 'stored') return state.times?.updatedMs ?? null;
  return state.kind === 'upsert' ? updatedMsOf(state.rows) : null;
}

/** Unknown times on either side never make an upsert stale: it is written. */
function isOlder(ms: number | null, baseline: number | null): boolean {
  return ms !== null && baseline !== null && ms < baseline;
}

function remoteLinksPlan(rows: IssueRows, afterDelete: boolean, stored: StoredTimes | undefined): RemoteLinksPlan {
  if (rows.remote_links !== undefined) return rows.remote_links;
  // A delete earlier in the batch removed the stored remote links: there are none to keep.
  if (afterDelete) return [];
  if (stored && stored.createdMs !== createdMsOf(rows)) return 'move';
  return 'keep';
}

export function updatedMsOf(rows: IssueRows): number | null {
  return epochMs(rows.issues[0]?.updated_at);
}

export function createdMsOf(rows: IssueRows): number | null {
  return epochMs(rows.issues[0]?.created_at);
}

function epochMs(value: Row[string] | undefined): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** Every row of an upsert belongs to its key: a row of another issue would replace that issue's rows. */
function assertRowsOf(key: string, rows: IssueRows): void {
  if (rows.issues.length !== 1) throw new InputError(`Upsert of ${key} carries ${rows.issues.length} issue rows, not one`, { field: 'rows.issues' });
  for (const [table, list] of Object.entries(rows)) {
    for (const row of (list as Row[] | undefined) ?? []) {
      if (row.issue_key !== key) throw new InputError(`Upsert of ${key} carries a ${table} row of ${String(row.issue_key)}`, { field: `rows.${table}` });
    }
  }
}
