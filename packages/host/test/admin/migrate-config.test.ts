import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/admin/config-check.js';
import { listUsers } from '../../src/admin/list-users.js';
import { migrateInstance } from '../../src/admin/migrate.js';
import { schemaVersionOf } from '../../src/admin/stopped-instance.js';
import { migrate, migrations, SCHEMA_VERSION } from '../../src/state/migrations/index.js';
import { DuckDbSystemDb } from '../../src/state/system-db.js';
import { tempRoot } from './helpers.js';

let root: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => (root = await tempRoot('aida-migrate-')));
afterEach(() => root.cleanup());

/** A system database as an older AIDA left it: only the first `n` migrations applied. */
async function olderInstance(n: number): Promise<string> {
  const dataDir = join(root.dir, 'old');
  const db = await DuckDbSystemDb.open(join(dataDir, 'state', 'system.duckdb'));
  await migrate(db, migrations.slice(0, n));
  await db.close();
  return dataDir;
}

describe('aida migrate', () => {
  it('applies the missing migrations once; other commands refuse an old schema until then', async () => {
    const dataDir = await olderInstance(3);
    await expect(listUsers(dataDir)).rejects.toMatchObject({ code: 'AIDA_CONFLICT', message: expect.stringContaining('run aida migrate first') });
    const first = await migrateInstance(dataDir);
    const where = join(dataDir, 'state', 'system.duckdb');
    expect(first).toEqual({ from: 3, to: SCHEMA_VERSION, applied: migrations.slice(3).map((m) => m.version), where });
    expect(await migrateInstance(dataDir)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [], where });
    expect(await listUsers(dataDir)).toEqual([]);
  });

  it('refuses a database a newer AIDA wrote, and a folder without an instance', async () => {
    const dataDir = await olderInstance(migrations.length);
    const db = await DuckDbSystemDb.open(join(dataDir, 'state', 'system.duckdb'));
    await db.run('INSERT INTO schema_version (version, name) VALUES (?, ?)', [SCHEMA_VERSION + 1, 'from the future']);
    expect(await schemaVersionOf(db)).toBe(SCHEMA_VERSION + 1);
    await db.close();
    await expect(migrateInstance(dataDir)).rejects.toMatchObject({ code: 'AIDA_SCHEMA_TOO_NEW' });
    await expect(listUsers(dataDir)).rejects.toMatchObject({ code: 'AIDA_SCHEMA_TOO_NEW' });
    await expect(migrateInstance(join(root.dir, 'nothing'))).rejects.toMatchObject({
      code: 'AIDA_NOT_FOUND',
      message: expect.stringContaining('No AIDA instance in'),
    });
  });
});

describe('aida config check', () => {
  async function config(text: string): Promise<string> {
    const path = join(root.dir, 'config', 'instance.yaml');
    await mkdir(join(root.dir, 'config'), { recursive: true });
    await writeFile(path, text);
    return path;
  }

  it('accepts a valid config and says what it would run', async () => {
    const path = await config(
      [
        'data_dir: /srv/aida',
        'jobs:',
        '  backend: duckdb',
        'plugins:',
        '  - package: "@aida/host/local-files"',
        '    config:',
        '      sources:',
        '        - name: files',
        '          path: ./files',
        '',
      ].join('\n'),
    );
    expect(await checkConfig(path, root.dir, {})).toEqual({
      path,
      plugins: [{ id: 'local-files', package: '@aida/host/local-files' }],
      data_dir: '/srv/aida',
      jobs_backend: 'duckdb',
    });
    expect((await checkConfig(path, root.dir, { AIDA_DATA_DIR: join(root.dir, 'elsewhere') })).data_dir).toBe(join(root.dir, 'elsewhere'));
  });

  it('reports every problem at once with the code boot gives', async () => {
    const path = await config(
      [
        'server:',
        '  port: eighty',
        'jobs:',
        '  backend: redis',
        'instance:',
        '  name: ${NO_SUCH_VARIABLE}',
        'plugins:',
        '  - package: "@aida/plugin-not-there"',
        '',
      ].join('\n'),
    );
    const error = await checkConfig(path, root.dir, {}).catch((e: unknown) => e as { code: string; message: string });
    expect(error).toMatchObject({ code: 'AIDA_CONFIG_INVALID' });
    expect(error.message).toContain('The instance configuration has 4 problems');
    for (const part of ['server.port', 'jobs.url', 'NO_SUCH_VARIABLE is not set', 'npm install @aida/plugin-not-there']) expect(error.message).toContain(part);
    await expect(checkConfig(path, root.dir, { AIDA_LOG_FORMAT: 'xml' })).rejects.toThrow('AIDA_LOG_FORMAT must be auto, json or pretty, got "xml"');
  });

  it('with no file says the demo would run', async () => {
    expect(await checkConfig(join(root.dir, 'missing.yaml'), root.dir, {})).toMatchObject({ path: null, plugins: [] });
  });
});
