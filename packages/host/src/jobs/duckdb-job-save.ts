/**
 * The writes behind `DuckDbJobRepository.saveJob`: insert, update by id, and the two
 * upserts Agenda asks for (`every()` single jobs, and jobs with a `unique` constraint,
 * including insertOnly and debounce). Each runs inside the caller's transaction, since
 * the upserts read before they write.
 */
import { randomUUID } from 'node:crypto';
import type { DuckDBValue } from '@duckdb/node-api';
import type { JobParameters } from 'agenda';
import type { SqlRunner } from '../state/system-db.js';
import { jsonPath, Where } from './duckdb-job-query.js';
import { failReason, json, param, toJob, ts, type JobRow } from './duckdb-job-rows.js';

/** Columns a `unique` constraint may name besides `data.<path>`; keys are Agenda's attribute names. */
const UNIQUE_COLUMNS: Record<string, string> = {
  name: 'name',
  priority: 'priority',
  type: 'type',
  nextRunAt: 'next_run_at',
  repeatInterval: 'repeat_interval',
  repeatTimezone: 'repeat_timezone',
  repeatAt: 'repeat_at',
  disabled: 'disabled',
  lastModifiedBy: 'last_modified_by',
};

/** The scheduling attributes `saveJob` writes; the processor's run state goes through `saveJobState`. */
type SaveProps = Omit<JobParameters, '_id' | 'unique' | 'uniqueOpts'>;

const INSERT_COLUMNS = [
  'id',
  'name',
  'priority',
  'type',
  'next_run_at',
  'repeat_interval',
  'repeat_timezone',
  'repeat_at',
  'data',
  'disabled',
  'fork',
  'last_modified_by',
  'debounce_started_at',
  'start_date',
  'end_date',
  'skip_days',
  'fail_reason',
  'fail_count',
  'failed_at',
  'created_at',
  'updated_at',
] as const;

export async function insert(tx: SqlRunner, p: SaveProps, by: string | null, debounceStartedAt: Date | null = null): Promise<JobParameters> {
  const [saved] = await insertMany(tx, [{ props: p, by }], debounceStartedAt);
  return saved!;
}

/** A plain insert (no id, not `single`, no unique key): what `now()` and `schedule()` store. */
export interface InsertRequest {
  props: SaveProps;
  by: string | null;
}

/** Inserts every job of the batch with one statement; the results are in the batch's order. */
export async function insertMany(tx: SqlRunner, batch: readonly InsertRequest[], debounceStartedAt: Date | null = null): Promise<JobParameters[]> {
  const now = new Date();
  const ids: string[] = [];
  const values: DuckDBValue[] = [];
  for (const { props: p, by } of batch) {
    const id = randomUUID();
    ids.push(id);
    values.push(
      id,
      p.name,
      p.priority ?? 0,
      p.type ?? 'normal',
      ts(p.nextRunAt),
      p.repeatInterval === undefined ? null : String(p.repeatInterval),
      p.repeatTimezone ?? null,
      p.repeatAt ?? null,
      json(p.data),
      p.disabled ?? false,
      p.fork ?? false,
      by,
      ts(debounceStartedAt),
      ts(p.startDate),
      ts(p.endDate),
      json(p.skipDays),
      failReason(p.failReason),
      p.failCount ?? null,
      ts(p.failedAt),
      ts(now),
      ts(now),
    );
  }
  const row = `(${INSERT_COLUMNS.map(() => '?').join(', ')})`;
  const rows = await tx.all<JobRow>(`INSERT INTO jobs (${INSERT_COLUMNS.join(', ')}) VALUES ${batch.map(() => row).join(', ')} RETURNING *`, values);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => toJob(byId.get(id)!));
}

/**
 * Rewrites the scheduling attributes of a job. Run state (lock, last run, progress) is the
 * processor's and stays; failure fields change only when given (the `job.fail().save()` pattern).
 */
export async function updateById(tx: SqlRunner, id: string, p: SaveProps, by: string | null): Promise<JobParameters | null> {
  const rows = await tx.all<JobRow>(
    `UPDATE jobs SET ${UPSERT_SET}, next_run_at = ?, type = ?,
       fail_reason = CASE WHEN ? THEN ? ELSE fail_reason END,
       fail_count = CASE WHEN ? THEN ? ELSE fail_count END,
       failed_at = CASE WHEN ? THEN ? ELSE failed_at END
     WHERE id = ? AND name = ?
     RETURNING *`,
    [
      ...upsertParams(p, by),
      ts(p.nextRunAt),
      p.type ?? 'normal',
      p.failReason !== undefined,
      failReason(p.failReason),
      p.failCount !== undefined,
      p.failCount ?? null,
      p.failedAt !== undefined,
      ts(p.failedAt),
      id,
      p.name,
    ],
  );
  return rows[0] ? toJob(rows[0]) : null;
}

/** Shared SET list of the two upserts: what a re-declared job may change. */
const UPSERT_SET = `priority = ?, repeat_interval = ?, repeat_timezone = ?, repeat_at = ?, data = ?, disabled = ?, fork = ?,
  last_modified_by = ?, start_date = ?, end_date = ?, skip_days = ?, updated_at = ?`;

function upsertParams(p: SaveProps, by: string | null): DuckDBValue[] {
  return [
    p.priority ?? 0,
    p.repeatInterval === undefined ? null : String(p.repeatInterval),
    p.repeatTimezone ?? null,
    p.repeatAt ?? null,
    json(p.data),
    p.disabled ?? false,
    p.fork ?? false,
    by,
    ts(p.startDate),
    ts(p.endDate),
    json(p.skipDays),
    ts(new Date()),
  ];
}

/**
 * `every()` jobs: one row per name. Re-declaring a job that is already due keeps the
 * stored nextRunAt, so a restart does not postpone (or re-trigger) a pending run.
 */
export async function upsertSingle(tx: SqlRunner, p: SaveProps, by: string | null): Promise<JobParameters> {
  const [existing] = await tx.all<{ id: string }>(`SELECT id FROM jobs WHERE name = ? AND type = 'single' ORDER BY id LIMIT 1`, [p.name]);
  if (!existing) return insert(tx, p, by);
  const protect = p.nextRunAt !== null && p.nextRunAt !== undefined && new Date(p.nextRunAt) <= new Date();
  const rows = await tx.all<JobRow>(`UPDATE jobs SET ${UPSERT_SET}, next_run_at = ${protect ? 'coalesce(next_run_at, ?)' : '?'} WHERE id = ? RETURNING *`, [
    ...upsertParams(p, by),
    ts(p.nextRunAt),
    existing.id,
  ]);
  return toJob(rows[0]!);
}

/** Jobs with a `unique` constraint: update the matching row (honouring insertOnly and debounce) or insert. */
export async function upsertUnique(
  tx: SqlRunner,
  p: SaveProps,
  unique: Record<string, unknown>,
  uniqueOpts: JobParameters['uniqueOpts'],
  by: string | null,
): Promise<JobParameters> {
  const where = new Where().add('name = ?', p.name);
  for (const [key, value] of Object.entries(unique)) {
    if (key.startsWith('data.')) {
      // Compared as text like Agenda's Postgres backend (`data->>key = String(value)`).
      if (value === null || value === undefined) where.add('json_extract_string(data, ?) IS NULL', jsonPath(key.slice(5)));
      else where.add('json_extract_string(data, ?) = ?', jsonPath(key.slice(5)), typeof value === 'object' ? JSON.stringify(value) : String(value));
    } else {
      // A column name cannot be a parameter, so only known columns are accepted.
      const column = UNIQUE_COLUMNS[key];
      if (!column) throw new Error(`Invalid unique constraint field: "${key}"`);
      if (value === null || value === undefined) where.add(`${column} IS NULL`);
      else where.add(`${column} = ?`, param(value));
    }
  }
  const [existing] = await tx.all<JobRow>(`SELECT * FROM jobs ${where} ORDER BY id LIMIT 1`, where.params);
  const debounce = uniqueOpts?.debounce;
  const now = new Date();

  if (!existing) {
    if (!debounce) return insert(tx, p, by);
    // Trailing debounce waits out the window; leading runs at once.
    const nextRunAt = debounce.strategy === 'leading' ? p.nextRunAt : new Date(now.getTime() + debounce.delay);
    return insert(tx, { ...p, nextRunAt }, by, now);
  }
  if (uniqueOpts?.insertOnly && !debounce) return toJob(existing);

  let nextRunAt: Date | null = p.nextRunAt ?? null;
  let debounceStartedAt: Date | null = null;
  if (debounce) {
    const startedAt = existing.debounce_started_at ?? now;
    if (debounce.strategy === 'leading') {
      nextRunAt = existing.next_run_at;
      debounceStartedAt = startedAt;
    } else if (debounce.maxWait && now.getTime() - startedAt.getTime() >= debounce.maxWait) {
      nextRunAt = now; // waited long enough: run now and start a fresh window next time
    } else {
      nextRunAt = new Date(now.getTime() + debounce.delay);
      debounceStartedAt = startedAt;
    }
  }
  const rows = await tx.all<JobRow>(`UPDATE jobs SET ${UPSERT_SET}, type = ?, next_run_at = ?, debounce_started_at = ? WHERE id = ? RETURNING *`, [
    ...upsertParams(p, by),
    p.type ?? 'normal',
    ts(nextRunAt),
    ts(debounceStartedAt),
    existing.id,
  ]);
  return toJob(rows[0]!);
}
