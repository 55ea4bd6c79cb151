import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtractWriter } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { bootstrap } from '../../identity/helpers.js';
import { call, LOCAL, post } from './helpers.js';
import { newWarehouse, warehousePlugin } from './warehouse.js';

describe('which source a query at a source runs at', () => {
  const east = newWarehouse();
  const west = newWarehouse();
  let t: TestHost;
  let admin: string;

  beforeAll(async () => {
    t = await startTestHost({
      plugins: [
        { plugin: warehousePlugin(east), id: 'east', config: { source: 'east', local: LOCAL } },
        { plugin: warehousePlugin(west), id: 'west', config: { source: 'west' } },
      ],
      config: { analytics: { profile_after_rebuild: false } },
    });
    for (const s of ['east', 'west']) expect((await t.host.syncSource(s)).error).toBeUndefined();
    admin = await bootstrap(t);
  });
  afterAll(() => t?.stop());

  it('with several sources that could run it, the caller must name one in `source`, and it runs there alone', async () => {
    const sql = 'SELECT count(*) AS n FROM web.events';
    const ambiguous = await post(t, '/api/query/remote', admin, { sql });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.json).toMatchObject({ code: 'AIDA_REMOTE_SOURCE_AMBIGUOUS', detail: { sources: ['east', 'west'] } });
    expect([east.calls.length, west.calls.length]).toEqual([1, 1]);
    east.calls.length = 0;
    west.calls.length = 0;
    const named = await post(t, '/api/query/remote', admin, { sql, source: 'west' });
    expect(named.status, named.text).toBe(200);
    expect(named.json.rows).toEqual([[12]]);
    expect(east.calls).toEqual([]);
    expect(west.calls.map((c) => c.kind)).toEqual(['estimate', 'run']);
  });

  it('follows the extract when a table turns local and remote again: catalog, manifest and /api/query', async () => {
    const dir = join(t.dataDir, 'extracts', 'east');
    const mode = async () =>
      ((await call(t, 'GET', '/api/catalog/tables', { token: admin })).json.tables as { id: string; query_mode: string }[]).find((x) => x.id === 'events')
        ?.query_mode;
    const manifest = async () => Object.keys((await call(t, 'GET', '/api/sync/manifest', { token: admin })).json.tables);
    expect(await mode()).toBe('remote');

    let w = await ExtractWriter.open(dir);
    await w.writeTable('events', 'SELECT range AS event_id FROM range(7)');
    await w.commit();
    await t.host.orchestrator.rebuild();
    expect(await mode()).toBe('local');
    expect(await manifest()).toContain('events');
    expect((await post(t, '/api/query', admin, { sql: 'SELECT count(*) FROM events' })).json.rows).toEqual([[7]]);

    w = await ExtractWriter.open(dir);
    w.declareRemote('events');
    await w.commit();
    await t.host.orchestrator.rebuild();
    expect(await mode()).toBe('remote');
    expect(await manifest()).not.toContain('events');
    expect((await post(t, '/api/query', admin, { sql: 'SELECT count(*) FROM events' })).json.code).toBe('AIDA_TABLE_REMOTE');
  });
});

describe('an instance with no source that queries at the source', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost();
  });
  afterAll(() => t?.stop());

  it('answers 400 AIDA_REMOTE_SOURCE_UNKNOWN saying every table is local', async () => {
    const admin = await bootstrap(t);
    const r = await post(t, '/api/query/remote', admin, { sql: 'SELECT 1' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'AIDA_REMOTE_SOURCE_UNKNOWN', detail: { sources: [] } });
    expect(r.json.message).toMatch(/POST \/api\/query\)/);
  });
});
