import { SchemaTooNewError } from '../../errors.js';
import { toPostgresDdl } from '../postgres-sql.js';
import type { SystemDb } from '../system-db.js';

export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export interface MigrationOutcome {
  from: number;
  to: number;
  applied: number[];
}

/** Held by the transaction that migrates an instance's PostgreSQL schema (released at its end). */
export const MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':migrate')) AS locked";

/** A migration statement in the backend's dialect: one definition per migration, types renamed for PostgreSQL. */
export function ddlFor(db: Pick<SystemDb, 'dialect'>, sql: string): string {
  return db.dialect === 'postgres' ? toPostgresDdl(sql) : sql;
}

/**
 * Brings system.duckdb up to the newest schema version, each migration in its own
 * transaction. A database written by a newer AIDA is refused rather than guessed at.
 */
export async function migrate(db: SystemDb, migrations: readonly Migration[]): Promise<MigrationOutcome> {
  const latest = Math.max(0, ...migrations.map((m) => m.version));
  await db.transaction(async (tx) => {
    // Two PostgreSQL sessions creating the same table at once collide even with IF NOT EXISTS.
    if (db.dialect === 'postgres') await tx.all(MIGRATION_LOCK);
    await tx.run(`CREATE TABLE IF NOT EXISTS schema_version (
      version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)`);
  });
  const [{ v }] = await db.all<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
  const from = v ?? 0;
  if (from > latest) {
    throw new SchemaTooNewError(
      `${db.path} is at schema version ${from}, but this version of @aida/host knows schema versions up to ${latest}. ` +
        'Upgrade @aida/host to the version that wrote this database, or restore a backup made before the upgrade.',
      { detail: { schema_version: from, supported: latest } },
    );
  }
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= from) continue;
    const done = await db.transaction(async (tx) => {
      // Hosts of one instance may start together: on PostgreSQL one migrates while the others
      // wait, then find the version applied and skip it.
      if (db.dialect === 'postgres') {
        await tx.all(MIGRATION_LOCK);
        const [{ v: now }] = await tx.all<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
        if ((now ?? 0) >= m.version) return false;
      }
      for (const sql of m.statements) await tx.run(ddlFor(db, sql));
      await tx.run('INSERT INTO schema_version (version, name) VALUES (?, ?)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return { from, to: Math.max(from, latest), applied };
}
