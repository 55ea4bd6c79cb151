import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, tokens, type OrchestratorEvent, type SourceWrites } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { bootstrap, call } from '../identity/helpers.js';

/** A push connector: no extraction of its own, its rows arrive through `push` (as a webhook's would). */
function pushPlugin(handle: { writes?: SourceWrites }) {
  return definePlugin({
    id: 'pushy',
    kind: 'connector',
    config: z.object({}),
    deps: { connectors: tokens.connectors },
    async init({ connectors }) {
      handle.writes = connectors.register({
        source: 'pushy',
        sourceType: 'push-test',
        discover: async () => [],
        extract: async () => ({ tables: [] }),
      });
    },
  });
}

const event = (id: number, note: string) => async (writer: Parameters<Parameters<SourceWrites['push']>[0]>[0]) => {
  const r = await writer.write('events', `SELECT ${id}::BIGINT AS id, '${note}' AS note`, { mode: 'merge', primaryKey: ['id'] });
  return { tables: [{ name: 'events', status: 'ok' as const, rows: r.rows }] };
};

describe("a push connector's writes between extractions", () => {
  const handle: { writes?: SourceWrites } = {};
  let t: TestHost;
  let admin: string;
  const rebuilds: OrchestratorEvent[] = [];
  const query = async (sql: string) => (await call(t, 'POST', '/api/query', { token: admin, body: { sql } })).json;

  beforeAll(async () => {
    t = await startTestHost({ plugins: [pushPlugin(handle)], config: { analytics: { push_rebuild_delay: '4s', push_history_interval: '3s' } } });
    admin = await bootstrap(t);
    t.host.orchestrator.on((e) => rebuilds.push(e));
  });
  afterAll(() => t?.stop());

  it('commits each push, records it in sync history, and rebuilds once for a burst', async () => {
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => i).reduce<Promise<unknown>[]>((acc, i) => {
        // Pushes of one table are serialised by the connector (two writers of a table conflict).
        acc.push((acc[i - 1] ?? Promise.resolve()).then(() => handle.writes!.push(event(i, `n${i}`))));
        return acc;
      }, []),
    );
    expect(rebuilds).toHaveLength(0);
    await expect.poll(() => rebuilds.length, { timeout: 20_000 }).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 2000));
    expect(rebuilds.map((e) => e.type)).toEqual(['rebuilt']);
    expect((await query('SELECT count(*) AS n FROM events')).rows).toEqual([[5]]);
    // Five pushes, summed into fewer history rows (one per push_history_interval), the newest with the table's rows now.
    const history = await call(t, 'GET', '/api/admin/sync-history?source=pushy', { token: admin });
    expect(history.status).toBe(200);
    const items = (history.json as { items: { table_id: string; rows: number }[] }).items;
    expect(items[0]).toMatchObject({ table_id: 'events', rows: 5 });
    expect(items.length).toBeLessThan(5);
  });

  it('a push that throws commits nothing and reaches its caller', async () => {
    const before = rebuilds.length;
    await expect(
      handle.writes!.push(async (writer) => {
        await writer.write('events', `SELECT 99::BIGINT AS id, 'lost' AS note`, { mode: 'merge', primaryKey: ['id'] });
        throw new Error('the source answered 500');
      }),
    ).rejects.toThrow(/answered 500/);
    await handle.writes!.push(event(1, 'edited'));
    await expect.poll(() => rebuilds.length, { timeout: 20_000 }).toBe(before + 1);
    expect((await query('SELECT id, note FROM events WHERE id IN (1, 99) ORDER BY id')).rows).toEqual([[1, 'edited']]);
  });
});
