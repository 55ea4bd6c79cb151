import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, tokens, type AnalystNotes, type PluginDatabase, type PluginMigration } from '@aida/core';
import { startTestHost } from '@aida/host/testing';
import { bootstrap, call, userWithSession } from '../identity/helpers.js';

const v1: PluginMigration = { version: 1, name: 'items', statements: ['CREATE TABLE tally_items (id INTEGER PRIMARY KEY, label VARCHAR NOT NULL)'] };
const v2: PluginMigration = { version: 2, name: 'counts', statements: ['ALTER TABLE tally_items ADD COLUMN n INTEGER DEFAULT 0'] };

/** A plugin that keeps a table of its own and reads analysts' notes; what it saw is left on `seen`. */
function tallyPlugin(migrations: readonly PluginMigration[], seen: { db?: PluginDatabase; notes?: AnalystNotes; applied?: number[] }) {
  return definePlugin({
    id: 'tally',
    kind: 'extension',
    config: z.object({}),
    deps: { database: tokens.database, notes: tokens.analystNotes },
    async init({ database, notes }) {
      seen.applied = (await database.migrate(migrations)).applied;
      seen.db = database;
      seen.notes = notes;
    },
  });
}

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'aida-plugin-db-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe("a plugin's own tables in the system database", () => {
  it('migrates once per version, keeps its rows across restarts, and refuses a schema newer than it knows', async () => {
    const first: { db?: PluginDatabase; applied?: number[] } = {};
    let t = await startTestHost({ dataDir, plugins: [tallyPlugin([v1], first)] });
    expect(first.applied).toEqual([1]);
    await first.db!.transaction(async (tx) => {
      await tx.run('INSERT INTO tally_items (id, label) VALUES (?, ?)', [1, 'one']);
      await tx.run('INSERT INTO tally_items (id, label) VALUES (?, ?)', [2, 'two']);
    });
    // A transaction that fails leaves nothing behind.
    await expect(
      first.db!.transaction(async (tx) => {
        await tx.run('INSERT INTO tally_items (id, label) VALUES (?, ?)', [3, 'three']);
        await tx.run('INSERT INTO tally_items (id, label) VALUES (?, ?)', [1, 'duplicate key']);
      }),
    ).rejects.toThrow();
    await t.stop();

    const second: { db?: PluginDatabase; applied?: number[] } = {};
    t = await startTestHost({ dataDir, plugins: [tallyPlugin([v1, v2], second)] });
    expect(second.applied).toEqual([2]);
    expect(await second.db!.all('SELECT id, label, n FROM tally_items ORDER BY id')).toEqual([
      { id: 1, label: 'one', n: 0 },
      { id: 2, label: 'two', n: 0 },
    ]);
    await t.stop();

    // The plugin was downgraded: its schema is newer than the code, and the host will not guess.
    await expect(startTestHost({ dataDir, plugins: [tallyPlugin([v1], {})] })).rejects.toThrow(/plugin 'tally' has schema version 2 .* knows versions up to 1/);
  });

  it("lists the notes analysts uploaded with da sync, with each one's email and content hash", async () => {
    const seen: { notes?: AnalystNotes } = {};
    const t = await startTestHost({ plugins: [tallyPlugin([v1], seen)] });
    const admin = await bootstrap(t);
    const ana = await userWithSession(t, admin, 'ana@example.com', 'analyst');
    expect(await seen.notes!.list()).toEqual([]);
    expect((await call(t, 'POST', '/api/upload/local-md', { token: ana.token, body: { content: '# Revenue\n- net of refunds\n' } })).status).toBe(201);
    const [note, ...rest] = await seen.notes!.list();
    expect(rest).toEqual([]);
    expect(note).toMatchObject({ userId: ana.id, email: 'ana@example.com', content: '# Revenue\n- net of refunds\n' });
    expect(note!.sha256).toMatch(/^[0-9a-f]{64}$/);
    await call(t, 'POST', '/api/upload/local-md', { token: ana.token, body: { content: '# Revenue\n- gross\n' } });
    const [changed] = await seen.notes!.list();
    expect(changed!.sha256).not.toBe(note!.sha256);
    await t.stop();
  });
});
