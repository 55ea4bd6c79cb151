/**
 * Query building for the DuckDB job repository: WHERE clauses with bound parameters,
 * ORDER BY for Agenda's sort options, and the `data` filters Agenda's other backends run
 * as JSON containment. DuckDB has no `@>`, so containment is evaluated here in JS.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { JobsSort, RemoveJobsOptions } from 'agenda';
import type { SqlRunner } from '../state/system-db.js';

const SORT_COLUMNS: Record<keyof JobsSort, string> = {
  nextRunAt: 'next_run_at',
  lastRunAt: 'last_run_at',
  lastFinishedAt: 'last_finished_at',
  priority: 'priority',
  name: 'name',
  data: 'CAST(data AS VARCHAR)',
};

/** `$."a"."b"` for the dotted path `a.b`, quoting each key so any key is safe. */
export function jsonPath(dotted: string): string {
  return (
    '$' +
    dotted
      .split('.')
      .map((k) => `."${k.replace(/"/g, '\\"')}"`)
      .join('')
  );
}

/** PostgreSQL `@>` semantics: every key/element of `needle` is present, recursively, in `haystack`. */
export function jsonContains(haystack: unknown, needle: unknown): boolean {
  if (needle === null || typeof needle !== 'object') return haystack === needle;
  if (Array.isArray(needle)) {
    return Array.isArray(haystack) && needle.every((n) => haystack.some((h) => jsonContains(h, n)));
  }
  if (haystack === null || typeof haystack !== 'object' || Array.isArray(haystack)) return false;
  const h = haystack as Record<string, unknown>;
  return Object.entries(needle).every(([k, v]) => Object.hasOwn(h, k) && jsonContains(h[k], v));
}

/** Plain JSON of a filter value (so `Date`s compare as the ISO strings stored in `data`). */
export const asJson = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

/** A WHERE clause under construction: conditions joined by AND, positional parameters. */
export class Where {
  private readonly conditions: string[] = [];
  readonly params: DuckDBValue[] = [];

  add(condition: string, ...params: DuckDBValue[]): this {
    this.conditions.push(condition);
    this.params.push(...params);
    return this;
  }

  in(column: string, values: readonly string[], negate = false): this {
    if (values.length === 0) return negate ? this : this.add('false');
    return this.add(`${column} ${negate ? 'NOT IN' : 'IN'} (${values.map(() => '?').join(', ')})`, ...values);
  }

  get empty(): boolean {
    return this.conditions.length === 0;
  }

  toString(): string {
    return this.conditions.length === 0 ? '' : `WHERE ${this.conditions.join(' AND ')}`;
  }
}

/**
 * The ids `RemoveJobsOptions` select, or null when it names no criterion (Agenda's
 * backends then touch nothing rather than everything). `data` is matched in JS with
 * `@>` semantics because DuckDB has no JSON containment operator.
 */
export async function matchingIds(tx: SqlRunner, options: RemoveJobsOptions): Promise<string[] | null> {
  const where = new Where();
  if (options.id) where.add('id = ?', String(options.id));
  else if (options.ids?.length) where.in('id', options.ids.map(String));
  if (options.name) where.add('name = ?', options.name);
  else if (options.names?.length) where.in('name', options.names);
  else if (options.notNames?.length) where.in('name', options.notNames, true);
  if (where.empty && options.data === undefined) return null;
  const rows = await tx.all<{ id: string; data: string | null }>(`SELECT id, data FROM jobs ${where}`, where.params);
  const needle = asJson(options.data);
  return rows.filter((r) => needle === undefined || jsonContains(r.data === null ? undefined : JSON.parse(r.data), needle)).map((r) => r.id);
}

export function orderBy(sort: JobsSort | undefined): string {
  const parts = Object.entries(sort ?? {})
    .filter(([key, dir]) => key in SORT_COLUMNS && dir)
    .map(([key, dir]) => `${SORT_COLUMNS[key as keyof JobsSort]} ${dir === 'asc' ? 'ASC' : 'DESC'} NULLS LAST`);
  return parts.length ? `${parts.join(', ')}, id` : 'next_run_at DESC NULLS LAST, last_run_at DESC NULLS LAST, id';
}
