/**
 * Which extract files the host keeps: those of every analytics generation still open (a query
 * holds it), and nothing else once it lets go; files a crash left behind go at the next boot.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExtractWriter, queryRows } from '@aida/core';
import { startTestHost } from '@aida/host/testing';
import { AnalyticsDb } from '../../src/analytics/analytics-db.js';
import { SyncOrchestrator } from '../../src/analytics/orchestrator.js';
import { localFilesPlugin } from '../../src/local-files/plugin.js';
import { migrate, migrations } from '../../src/state/migrations/index.js';
import { SyncRepository } from '../../src/state/repositories/sync.js';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { silentLogger, tempDir } from '../helpers.js';
import { listedFiles } from './extract-files.js';

let t: Awaited<ReturnType<typeof tempDir>>;

describe('an orchestrator and the writers it shares its file retention with', () => {
  let db: SystemDb;
  let analytics: AnalyticsDb;
  let orchestrator: SyncOrchestrator;
  beforeEach(async () => {
    t = await tempDir();
    db = await DuckDbSystemDb.open(join(t.dir, 'state', 'system.duckdb'));
    await migrate(db, migrations);
    const repo = new SyncRepository(db);
    analytics = new AnalyticsDb(join(t.dir, 'analytics', 'server.duckdb'), silentLogger(), [join(t.dir, 'extracts')]);
    orchestrator = new SyncOrchestrator({
      dataDir: t.dir,
      analytics,
      logger: silentLogger(),
      recordState: (s) => repo.recordRebuild(s),
      sourceTypeOf: () => 'local',
    });
  });
  afterEach(async () => {
    analytics.close();
    await orchestrator.settled();
    await db.close();
    await t.cleanup();
  });

  async function commit(table: string, sql: string): Promise<string> {
    const w = await ExtractWriter.open(join(t.dir, 'extracts', 'shop'), { retention: analytics.leases });
    const f = await w.writeTable(table, sql);
    await w.commit();
    return join(t.dir, 'extracts', 'shop', f.path);
  }

  it('a query on an old generation keeps its files through overlapping commits and rebuilds; they go when it ends', async () => {
    const oldOrders = await commit('orders', 'SELECT range AS id FROM range(5)');
    await orchestrator.rebuild();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const oldQuery = analytics.withConnection(async (c) => {
      await held;
      return queryRows(c, 'SELECT count(*) AS n FROM orders');
    });
    // Two commits of the source before any rebuild (the first one's file is never published),
    // then a rebuild and another commit: the old generation's file must survive all of it.
    const never = await commit('orders', 'SELECT range AS id FROM range(6)');
    const newOrders = await commit('orders', 'SELECT range AS id FROM range(7)');
    expect(existsSync(never)).toBe(false);
    await orchestrator.rebuild();
    await commit('other', 'SELECT 1 AS x');
    await orchestrator.rebuild();
    expect(existsSync(oldOrders)).toBe(true);
    expect(await analytics.withConnection((c) => queryRows(c, 'SELECT count(*) AS n FROM orders'))).toEqual([{ n: 7 }]);
    release();
    expect(await oldQuery).toEqual([{ n: 5 }]);
    // The old generation closed with its query; its file is collected without another commit.
    await orchestrator.settled();
    expect(existsSync(oldOrders)).toBe(false);
    expect(existsSync(newOrders)).toBe(true);
  });
});

describe('a host restarted after a crash', () => {
  beforeEach(async () => {
    t = await tempDir();
  });
  afterEach(() => t.cleanup());

  it('collects the files no extract lists at boot and keeps those the open database reads', async () => {
    const folder = join(t.dir, 'src');
    await mkdir(folder);
    await writeFile(join(folder, 'orders.csv'), 'id,amount\n1,10\n2,20\n');
    const dataDir = join(t.dir, 'data');
    const plugins = [{ plugin: localFilesPlugin, config: { sources: [{ name: 'shop', path: folder }] } }];
    let host = await startTestHost({ plugins, dataDir });
    expect((await host.host.syncSource('shop')).error).toBeUndefined();
    await host.stop();
    // What a crash between placing a file and committing (or before a deferred deletion) leaves.
    const orphan = join(dataDir, 'extracts', 'shop', 'data', 'orders.00000000deadbeef.parquet');
    await writeFile(orphan, 'left behind');
    host = await startTestHost({ plugins, dataDir });
    try {
      expect(existsSync(orphan)).toBe(false);
      const listed = await listedFiles(join(dataDir, 'extracts', 'shop'));
      expect(listed).toHaveLength(1);
      for (const p of listed) expect(existsSync(p)).toBe(true);
    } finally {
      await host.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
