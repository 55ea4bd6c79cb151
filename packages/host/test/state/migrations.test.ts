import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, migrations, SCHEMA_VERSION } from '../../src/state/migrations/index.js';
import { DuckDbSystemDb } from '../../src/state/system-db.js';
import { tempDir } from '../helpers.js';

let t: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => (t = await tempDir()));
afterEach(() => t.cleanup());

describe('system.duckdb migrations', () => {
  it('creates every system table once and records the schema version', async () => {
    const db = await DuckDbSystemDb.open(join(t.dir, 'system.duckdb'));
    const first = await migrate(db, migrations);
    expect(first).toMatchObject({ from: 0, to: SCHEMA_VERSION });
    const again = await migrate(db, migrations);
    expect(again.applied).toEqual([]);
    const tables = (await db.all<{ table_name: string }>('SELECT table_name FROM duckdb_tables() ORDER BY 1')).map((r) => r.table_name);
    for (const name of [
      'users',
      'personal_access_tokens',
      'sync_state',
      'sync_history',
      'table_registry',
      'table_profiles',
      'dataset_permissions',
      'access_requests',
      'audit_log',
      'notifications',
      'scripts',
      'user_sync_settings',
      'schema_version',
      'plugin_schema_version',
    ]) {
      expect(tables).toContain(name);
    }
    // The upstream's notification tables nothing wrote are gone (migration 13).
    for (const gone of ['telegram_links', 'pending_codes', 'script_registry']) expect(tables).not.toContain(gone);
    await db.close();
  });

  it('refuses a database written by a newer version, with a message saying what to do', async () => {
    const path = join(t.dir, 'system.duckdb');
    let db = await DuckDbSystemDb.open(path);
    await migrate(db, migrations);
    await db.run('INSERT INTO schema_version (version, name) VALUES (?, ?)', [SCHEMA_VERSION + 5, 'from the future']);
    await db.close();
    db = await DuckDbSystemDb.open(path);
    await expect(migrate(db, migrations)).rejects.toThrow(new RegExp(`schema version ${SCHEMA_VERSION + 5}.*Upgrade @aida/host`));
    await db.close();
  });

  it('a failing migration is rolled back as a whole', async () => {
    const db = await DuckDbSystemDb.open(join(t.dir, 'system.duckdb'));
    await migrate(db, migrations);
    const broken = { version: 1000, name: 'broken', statements: ['CREATE TABLE half_done (x INT)', 'THIS IS NOT SQL'] };
    await expect(migrate(db, [...migrations, broken])).rejects.toThrow();
    expect(await db.all(`SELECT table_name FROM duckdb_tables() WHERE table_name = 'half_done'`)).toEqual([]);
    const [{ v }] = await db.all<{ v: number }>('SELECT max(version) AS v FROM schema_version');
    expect(v).toBe(SCHEMA_VERSION);
    await db.close();
  });
});
