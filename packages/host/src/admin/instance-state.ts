import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { NotFoundError } from '@aida/core';
import { ConfigInvalidError } from '../errors.js';
import { stateConfigSchema, type StateConfig } from '../state/config.js';
import { openSystemDb } from '../state/open.js';
import type { SystemDb } from '../state/system-db.js';
import { requireCurrentSchema, withStoppedInstance } from './stopped-instance.js';

/** The state of an instance whose config has no `state:` section: the data dir's DuckDB file. */
export const EMBEDDED_STATE: StateConfig = stateConfigSchema.parse({});

/**
 * The `state:` section of an instance.yaml (parsed, `${ENV}` references replaced), checked as
 * boot checks it. Operator commands read it so they work on the database the host works on.
 */
export function stateSectionOf(raw: Record<string, unknown> | undefined, configFile: string): StateConfig {
  const parsed = stateConfigSchema.safeParse(raw?.state ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: ['state', ...i.path].join('.'), message: i.message }));
  throw new ConfigInvalidError(`${configFile}: the state section is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    detail: { issues },
  });
}

/**
 * Runs `fn` on an instance's system database for an operator command, and closes it.
 *
 * - DuckDB: the stopped instance's file (a live host holds it: AIDA_DATA_DIR_IN_USE).
 * - PostgreSQL: the server directly. No data-dir lock is involved and a live host is fine:
 *   PostgreSQL's transactions keep the writers apart.
 *
 * Either way the schema must be the one this version writes (see requireCurrentSchema).
 */
export async function withInstanceDb<T>(dataDir: string, state: StateConfig, command: string, fn: (db: SystemDb) => Promise<T>): Promise<T> {
  if (state.backend === 'duckdb') return withStoppedInstance(dataDir, command, fn);
  const db = await openSystemDb(state, dataDir);
  try {
    await requireCurrentSchema(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The data dir of an instance whose state is elsewhere (PostgreSQL): it must exist. */
export function requireDataDir(dataDir: string): string {
  const dir = resolve(dataDir);
  if (!existsSync(dir)) throw new NotFoundError(`No data directory at ${dir}; set AIDA_DATA_DIR or --data-dir to the instance's data directory`);
  return dir;
}

/** How to back up and restore PostgreSQL state, for messages: pg_dump of the instance's schema. */
export function pgDumpAdvice(state: StateConfig): string {
  const url = state.url ? "'<state.url>'" : `"$${state.url_env}"`;
  return (
    `Back them up with pg_dump: pg_dump --format=custom --schema=${state.schema} --file=aida-state.dump ${url} ` +
    `(restore with: pg_restore --clean --if-exists --dbname=${url} aida-state.dump).`
  );
}
