import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { migrate, migrations } from '../state/migrations/index.js';
import { PostgresSystemDb } from '../state/postgres-db.js';
import { DuckDbSystemDb, type SystemDb } from '../state/system-db.js';

/** The server test hosts put their system tables on when `AIDA_TEST_STATE=postgres`. */
export const TEST_POSTGRES_URL = process.env.AIDA_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** True when test hosts keep their system tables on PostgreSQL. */
export function testStateOnPostgres(): boolean {
  return process.env.AIDA_TEST_STATE === 'postgres';
}

/** The schema of a test host's data dir: the same dir (a restart) finds the same tables. */
export function testSchemaFor(dataDir: string): string {
  return `aida_t_${createHash('sha256').update(dataDir).digest('hex').slice(0, 20)}`;
}

/**
 * The `state:` config of a test host: undefined (DuckDB, the default) unless AIDA_TEST_STATE
 * asks for PostgreSQL or the test gives its own; `drop` removes the schema when the host's
 * data dir goes.
 */
export function testStateConfig(dataDir: string, own: unknown): { config: Record<string, unknown>; drop(): Promise<void> } | undefined {
  if (own !== undefined || !testStateOnPostgres()) return undefined;
  const schema = testSchemaFor(dataDir);
  return {
    config: { backend: 'postgres', url: TEST_POSTGRES_URL, schema },
    drop: () => dropTestSchema(schema),
  };
}

/**
 * A lone test host on PostgreSQL state has no other hosts to keep replaced files for: its tests
 * of file retention expect them gone as soon as nothing of its own reads them.
 */
export function testAnalyticsConfig(state: unknown, own: unknown): Record<string, unknown> | undefined {
  if (!state) return undefined;
  return { shared_file_retention: '0ms', ...(own as Record<string, unknown> | undefined) };
}

/** Drops a test schema and everything in it. */
export async function dropTestSchema(schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A migrated system database for a repository test, on the backend AIDA_TEST_STATE names: a
 * DuckDB file in `dir`, or a PostgreSQL schema of its own. `cleanup` closes it (and drops the schema).
 */
export async function openTestSystemDb(dir: string): Promise<{ db: SystemDb; cleanup(): Promise<void> }> {
  const schema = testSchemaFor(dir);
  const db = testStateOnPostgres()
    ? await PostgresSystemDb.open({ url: TEST_POSTGRES_URL, schema })
    : await DuckDbSystemDb.open(join(dir, 'state', 'system.duckdb'));
  await migrate(db, migrations);
  return {
    db,
    cleanup: async () => {
      await db.close();
      if (db.dialect === 'postgres') await dropTestSchema(schema);
    },
  };
}
