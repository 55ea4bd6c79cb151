import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExtractWriter, queryRows } from '@aida/core';
import { AnalyticsDb } from '../../../src/analytics/analytics-db.js';
import { SyncOrchestrator } from '../../../src/analytics/orchestrator.js';
import { TableRegistry } from '../../../src/data/registry.js';
import { ProfileService } from '../../../src/data/profiles/service.js';
import { ProfileStore } from '../../../src/data/profiles/store.js';
import { SyncRepository } from '../../../src/state/repositories/sync.js';
import type { SystemDb } from '../../../src/state/system-db.js';
import { openTestSystemDb } from '../../../src/testing/test-state.js';
import { tempDir } from '../../helpers.js';

let t: Awaited<ReturnType<typeof tempDir>>;
let db: SystemDb;
let closeDb: () => Promise<void>;
let analytics: AnalyticsDb;
let orchestrator: SyncOrchestrator;
let registry: TableRegistry;
let service: ProfileService;
let logLines: { level: number; msg: string; table?: string }[];

/** Writes tables into a source's extract (other tables of the source are kept) and rebuilds. */
async function extract(source: string, tables: Record<string, string | null>) {
  const w = await ExtractWriter.open(join(t.dir, 'extracts', source));
  for (const [name, sql] of Object.entries(tables)) {
    if (sql === null) w.dropTable(name);
    else await w.writeTable(name, sql);
  }
  await w.commit();
  await orchestrator.rebuild();
}

const newService = () => new ProfileService({ analytics, registry, store: new ProfileStore(db), logger, options: {} });
let logger: ReturnType<typeof pino>;

beforeEach(async () => {
  t = await tempDir();
  logLines = [];
  logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { logLines.push(JSON.parse(String(chunk))); cb(); } }));
  ({ db, cleanup: closeDb } = await openTestSystemDb(t.dir));
  const repo = new SyncRepository(db);
  registry = new TableRegistry(db);
  await registry.load();
  analytics = new AnalyticsDb(join(t.dir, 'analytics', 'server.duckdb'), logger, [join(t.dir, 'extracts')]);
  orchestrator = new SyncOrchestrator({
    dataDir: t.dir, analytics, logger, sourceTypeOf: () => 'local',
    recordState: async (s) => {
      await repo.recordRebuild(s);
      await registry.registerExtracted(analytics.tables());
    },
  });
  service = newService();
});
afterEach(async () => {
  analytics.close();
  await closeDb();
  await t.cleanup();
});

const storedIds = async () => (await db.all<{ table_id: string }>('SELECT table_id FROM table_profiles ORDER BY table_id')).map((r) => r.table_id);

describe('ProfileService.afterRebuild', () => {
  it('profiles every new table, then only the tables whose data changed', async () => {
    await extract('shop', { orders: 'SELECT range AS id FROM range(10)', customers: 'SELECT range AS id FROM range(3)' });
    await extract('crm', { Leads: `SELECT 'x' AS name` });
    const first = await service.afterRebuild();
    expect(first.profiled.sort()).toEqual(['Leads', 'customers', 'orders']);
    expect(first).toMatchObject({ unchanged: [], skipped: [], failed: [], removed: [], deferred: [] });
    expect(await storedIds()).toEqual(['customers', 'leads', 'orders']);
    const customersBefore = await service.get('customers');

    expect(await service.afterRebuild()).toMatchObject({ profiled: [], failed: [] });

    await extract('shop', { orders: 'SELECT range AS id FROM range(25)' });
    const second = await service.afterRebuild();
    expect(second.profiled).toEqual(['orders']);
    expect(second.unchanged.sort()).toEqual(['Leads', 'customers']);
    expect((await service.get('orders')).rows).toBe(25);
    expect(await service.get('customers')).toEqual(customersBefore);
  });

  it('a table profiled less than minIntervalMs ago waits, reads stale meanwhile, and is profiled once the interval has passed', async () => {
    service = new ProfileService({ analytics, registry, store: new ProfileStore(db), logger, options: {}, minIntervalMs: 3000 });
    try {
      await extract('shop', { orders: 'SELECT range AS id FROM range(10)' });
      expect((await service.afterRebuild()).profiled).toEqual(['orders']);
      await extract('shop', { orders: 'SELECT range AS id FROM range(20)' });
      const soon = await service.afterRebuild();
      expect(soon).toMatchObject({ profiled: [], deferred: ['orders'] });
      expect(await service.stored('orders')).toMatchObject({ rows: 10, stale: true });
      // The deferred run comes by itself once the interval is over.
      const deadline = Date.now() + 20_000;
      while ((await service.stored('orders'))?.rows !== 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await service.stored('orders')).toMatchObject({ rows: 20 });
      expect((await service.stored('orders'))?.stale).toBeUndefined();
    } finally {
      service.close();
    }
  });

  it('the same data extracted again (same Parquet hash) is not profiled again', async () => {
    await extract('shop', { orders: 'SELECT range AS id FROM range(10)' });
    await service.afterRebuild();
    await extract('shop', { orders: 'SELECT range AS id FROM range(10)' });
    expect(await service.afterRebuild()).toMatchObject({ profiled: [], unchanged: ['orders'] });
  });

  it('skips tables registered with profile_after_sync: false; they are still profiled on request', async () => {
    await extract('shop', { orders: 'SELECT 1 AS id', audit: 'SELECT 2 AS id' });
    await registry.update('audit', { profile_after_sync: false });
    const run = await service.afterRebuild();
    expect(run).toMatchObject({ profiled: ['orders'], skipped: ['audit'], failed: [] });
    expect(await storedIds()).toEqual(['orders']);
    expect((await service.get('audit')).rows).toBe(1);
    expect(await storedIds()).toEqual(['audit', 'orders']);
  });

  it("one table's failure is logged and does not stop the others", async () => {
    await extract('shop', { a_first: 'SELECT 1 AS id', broken: 'SELECT 2 AS id', z_last: 'SELECT 3 AS id' });
    const [file] = await analytics.withConnection((c) => queryRows<{ path: string }>(c, `SELECT path FROM _aida_files WHERE table_name = 'broken'`));
    await rm(file.path);
    const run = await service.afterRebuild();
    expect(run.profiled).toEqual(['a_first', 'z_last']);
    expect(run.failed).toEqual([{ table: 'broken', error: expect.stringMatching(/broken|No files found|does not exist/i) }]);
    expect(logLines.some((l) => l.level === 40 && l.table === 'broken' && /profiling table 'broken' failed/.test(l.msg))).toBe(true);
    expect(await storedIds()).toEqual(['a_first', 'z_last']);
  });

  it('drops the profiles of tables no longer served', async () => {
    await extract('shop', { orders: 'SELECT 1 AS id', old_table: 'SELECT 2 AS id' });
    await service.afterRebuild();
    await extract('shop', { old_table: null });
    expect(await service.afterRebuild()).toMatchObject({ removed: ['old_table'], unchanged: ['orders'] });
    expect(await storedIds()).toEqual(['orders']);
  });

  it('a stored profile survives a new service (restart) and is not recomputed', async () => {
    await extract('shop', { orders: 'SELECT range AS id FROM range(10)' });
    await service.afterRebuild();
    const before = await service.get('orders');
    const restarted = newService();
    expect(await restarted.afterRebuild()).toMatchObject({ profiled: [], unchanged: ['orders'] });
    expect(await restarted.get('ORDERS')).toEqual(before);
  });
});

describe('ProfileService.get / profile', () => {
  it('concurrent requests for a missing profile share one computation', async () => {
    await extract('shop', { orders: 'SELECT range AS id FROM range(1000)' });
    const [a, b, c] = await Promise.all([service.get('orders'), service.get('orders'), service.profile('orders')]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(logLines.filter((l) => l.msg === 'table profiled')).toHaveLength(1);
  });

  it('concurrent afterRebuild calls coalesce into at most one more run', async () => {
    await extract('shop', { orders: 'SELECT 1 AS id', customers: 'SELECT 2 AS id' });
    const runs = await Promise.all([service.afterRebuild(), service.afterRebuild(), service.afterRebuild()]);
    // Asked for in the same tick, before the first run started: all three share it.
    expect(runs[0]).toBe(runs[1]);
    expect(runs[1]).toBe(runs[2]);
    expect(runs[0].profiled.sort()).toEqual(['customers', 'orders']);
    // Asked for once a run has started: they share the one run queued after it, which finds nothing changed.
    const running = service.afterRebuild();
    await new Promise((r) => setImmediate(r));
    const queued = [service.afterRebuild(), service.afterRebuild()];
    expect(queued[0]).not.toBe(running);
    expect(queued[0]).toBe(queued[1]);
    expect((await running).profiled).toEqual([]);
    expect((await queued[0]).profiled).toEqual([]);
    expect(logLines.filter((l) => l.msg === 'table profiled')).toHaveLength(2);
  });

  it('unknown tables are a NotFoundError; profileAll reports them without throwing', async () => {
    await extract('shop', { orders: 'SELECT 1 AS id' });
    await expect(service.get('nope')).rejects.toMatchObject({ status: 404, code: 'AIDA_TABLE_NOT_FOUND' });
    const all = await service.profileAll(['orders', 'nope']);
    expect(all).toMatchObject({ profiled: ['orders'], failed: [{ table: 'nope' }] });
  });
});
