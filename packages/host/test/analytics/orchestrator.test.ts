import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExtractWriter, queryRows } from '@aida/core';
import { AnalyticsDb } from '../../src/analytics/analytics-db.js';
import { SyncOrchestrator } from '../../src/analytics/orchestrator.js';
import { migrate, migrations } from '../../src/state/migrations/index.js';
import { SyncRepository } from '../../src/state/repositories/sync.js';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { silentLogger, tempDir } from '../helpers.js';

let t: Awaited<ReturnType<typeof tempDir>>;
let db: SystemDb;
let analytics: AnalyticsDb;
let orchestrator: SyncOrchestrator;

async function extract(source: string, tables: Record<string, string>) {
  const w = await ExtractWriter.open(join(t.dir, 'extracts', source));
  for (const [name, sql] of Object.entries(tables)) await w.writeTable(name, sql);
  return w.commit();
}

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
  await db.close();
  await t.cleanup();
});

describe('the sync orchestrator', () => {
  it('creates one view per _meta row across sources and records sync_state with the file hash', async () => {
    const shop = await extract('shop', { orders: 'SELECT range AS id FROM range(10)', customers: 'SELECT range AS id FROM range(3)' });
    await extract('crm', { leads: 'SELECT 1 AS id' });
    const result = await orchestrator.rebuild();
    expect(result).toMatchObject({ tables: 3, sources: 2, warnings: [] });
    const counts = await analytics.withConnection((c) =>
      queryRows(c, 'SELECT (SELECT count(*) FROM orders) o, (SELECT count(*) FROM customers) c, (SELECT count(*) FROM leads) l'),
    );
    expect(counts).toEqual([{ o: 10, c: 3, l: 1 }]);
    expect(analytics.tables().map((x) => [x.table_name, x.source, x.rows])).toEqual([
      ['customers', 'shop', 3],
      ['leads', 'crm', 1],
      ['orders', 'shop', 10],
    ]);
    const state = await db.all<{ table_id: string; hash: string; rows: number; status: string }>(
      `SELECT table_id, hash, rows, status FROM sync_state ORDER BY table_id`,
    );
    const ordersFile = shop.files.find((f) => f.table_name === 'orders')!;
    expect(state.find((s) => s.table_id === 'orders')).toEqual({ table_id: 'orders', hash: ordersFile.md5, rows: 10, status: 'ok' });
  });

  it('skips invalid source folders and table names, and name clashes, with a warning each', async () => {
    await extract('alpha', { shared: 'SELECT 1 AS x' });
    await extract('beta', { shared: 'SELECT 2 AS x', own: 'SELECT 3 AS x' });
    // A folder that is not an identifier, holding a copy of a valid extract.
    await mkdir(join(t.dir, 'extracts', 'bad-source'), { recursive: true });
    const copy = await DuckDBInstance.create(join(t.dir, 'extracts', 'bad-source', 'extract.duckdb'));
    const conn = await copy.connect();
    await conn.run(`CREATE TABLE _meta (table_name VARCHAR, description VARCHAR, rows BIGINT, size_bytes BIGINT, extracted_at TIMESTAMP, query_mode VARCHAR)`);
    conn.closeSync();
    copy.closeSync();
    // A _meta row whose name is not an identifier, written behind the writer's back.
    const beta = await DuckDBInstance.create(join(t.dir, 'extracts', 'beta', 'extract.duckdb'));
    const bc = await beta.connect();
    await bc.run(`INSERT INTO _meta VALUES ('x"; DROP VIEW own; --', null, 1, 1, now()::TIMESTAMP, 'local')`);
    bc.closeSync();
    beta.closeSync();
    const result = await orchestrator.rebuild();
    expect(result.tables).toBe(2);
    expect(result.warnings.join('\n')).toMatch(/skipped source folder "bad-source"/);
    expect(result.warnings.join('\n')).toMatch(/skipped table "x\\"; DROP VIEW own; --"/);
    expect(result.warnings.join('\n')).toMatch(/skipped table 'shared' of source 'beta': source 'alpha' already provides/);
    expect(await analytics.withConnection((c) => queryRows(c, 'SELECT x FROM shared'))).toEqual([{ x: 1 }]);
  });

  it('a query that started before a swap finishes on the old file; new queries see the new one', async () => {
    await extract('shop', { orders: 'SELECT range AS id FROM range(5)' });
    await orchestrator.rebuild();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const oldQuery = analytics.withConnection(async (c) => {
      await held;
      return queryRows(c, 'SELECT count(*) AS n FROM orders');
    });
    await extract('shop', { orders: 'SELECT range AS id FROM range(7)', extra: 'SELECT 1 AS y' });
    await orchestrator.rebuild();
    expect(await analytics.withConnection((c) => queryRows(c, 'SELECT count(*) AS n FROM orders'))).toEqual([{ n: 7 }]);
    release();
    expect(await oldQuery).toEqual([{ n: 5 }]);
  });

  it('concurrent rebuild requests coalesce and readers never fail while rebuilds run', async () => {
    await extract('shop', { orders: 'SELECT range AS id FROM range(100)' });
    await orchestrator.rebuild();
    let stop = false;
    let failures = 0;
    let queries = 0;
    const readers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        try {
          const [{ n }] = await analytics.withConnection((c) => queryRows<{ n: number }>(c, 'SELECT count(*) AS n FROM orders'));
          if (n !== 100) failures++;
          queries++;
        } catch {
          failures++;
        }
      }
    });
    const rebuilds = await Promise.all(Array.from({ length: 20 }, () => orchestrator.rebuild()));
    stop = true;
    await Promise.all(readers);
    expect(rebuilds.every((r) => r.tables === 1)).toBe(true);
    expect(queries).toBeGreaterThan(0);
    expect(failures).toBe(0);
  });
});
