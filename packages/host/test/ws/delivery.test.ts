import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, tokens } from '@aida/core';
import { startTestHost, type AuthenticatedFetch, type TestHost } from '@aida/host/testing';
import { writeTables } from '../mcp/helpers.js';
import { connect, waitMs, type TestSocket } from './helpers.js';

// A 1×1 PNG, for a notification with a chart.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/** A connector whose extraction works until `failing` is set. */
const flaky = { failing: false };
const flakyPlugin = definePlugin({
  id: 'flaky',
  kind: 'connector',
  config: z.strictObject({}),
  deps: { connectors: tokens.connectors },
  init({ connectors }) {
    connectors.register({
      source: 'flaky',
      sourceType: 'test',
      discover: async () => [{ name: 'flaky_rows' }],
      extract: async ({ writer }) => {
        if (flaky.failing) throw new Error('the source is down');
        await writer.writeTable('flaky_rows', 'SELECT range AS n FROM range(3)');
        return { tables: [{ name: 'flaky_rows', status: 'ok', rows: 3 }] };
      },
    });
  },
});

let t: TestHost;
let admin: AuthenticatedFetch;
let ana: AuthenticatedFetch;
let bob: AuthenticatedFetch;

beforeAll(async () => {
  t = await startTestHost({
    plugins: [flakyPlugin],
    config: { instance: { base_url: 'https://aida.example/' }, analytics: { profile_after_rebuild: false }, ws: { recheck_interval: '100ms' } },
  });
  admin = await t.asAdmin();
  ana = await t.asUser('analyst');
  bob = await t.asUser('analyst');
  await writeTables(t, 'mixed', { orders: 'SELECT 1 AS id', salaries: 'SELECT 1000 AS salary' });
  await writeTables(t, 'hr', { reviews: "SELECT 'fine' AS verdict" });
  for (const table of ['salaries', 'reviews']) {
    const res = await admin(`/api/admin/registry/${table}`, { method: 'PUT', body: JSON.stringify({ is_public: false }) });
    expect(res.status, `making ${table} private`).toBe(200);
  }
});
afterAll(() => t?.stop());

const hub = () => t.host.resolve(tokens.notifications);

describe('notifications over /ws', () => {
  it('gives each user only their own, with the chart link made absolute by instance.base_url, and records the delivery', async () => {
    const anaSockets = [await connect(t, ana.token), await connect(t, ana.token)];
    const bobSocket = await connect(t, bob.token);
    const sent = await hub().send({ userId: ana.user.id, title: 'Orders dropped', body: 'by 40 %', origin: 'test', chart: { png: PNG }, channels: ['ws'] });
    expect(sent.deliveries.ws).toEqual({ status: 'delivered', detail: '2 sockets' });
    for (const s of anaSockets) {
      expect(await s.next('notification')).toEqual({
        type: 'notification',
        id: sent.notification.id,
        title: 'Orders dropped',
        body: 'by 40 %',
        chart_url: `https://aida.example/api/notifications/${sent.notification.id}/chart`,
        created_at: sent.notification.createdAt.toISOString(),
      });
    }
    // Bob's socket works, and the first notification it sees is his own.
    const his = await hub().send({ userId: bob.user.id, title: 'For bob', body: '', origin: 'test', channels: ['ws'] });
    expect((await bobSocket.next('notification')).id).toBe(his.notification.id);
    expect(bobSocket.messages.filter((m) => m.type === 'notification')).toHaveLength(1);
    expect(anaSockets[0].messages.filter((m) => m.type === 'notification')).toHaveLength(1);
    const listed = (await (await ana('/api/notifications')).json()) as { notifications: { id: string; deliveries: unknown }[] };
    expect(listed.notifications.find((n) => n.id === sent.notification.id)?.deliveries).toEqual({ ws: { status: 'delivered', detail: '2 sockets' } });
    for (const s of [...anaSockets, bobSocket]) s.ws.close();
  });

  it('skips a user with no socket open (the notification is still listed)', async () => {
    const carl = await t.asUser('viewer');
    const sent = await hub().send({ userId: carl.user.id, title: 'Nobody listening', body: '', origin: 'test', channels: ['ws'] });
    expect(sent.deliveries.ws).toEqual({ status: 'skipped', detail: 'not connected' });
  });
});

describe('sync events over /ws', () => {
  let anaSocket: TestSocket;
  let adminSocket: TestSocket;
  beforeAll(async () => {
    anaSocket = await connect(t, ana.token);
    adminSocket = await connect(t, admin.token);
  });
  afterAll(() => {
    anaSocket.ws.close();
    adminSocket.ws.close();
  });

  it('name only the tables the user may read, and are not sent at all when they can read none', async () => {
    await writeTables(t, 'mixed', { orders: 'SELECT 2 AS id', salaries: 'SELECT 2000 AS salary' });
    expect(await adminSocket.next('sync')).toEqual({ type: 'sync', source: 'mixed', status: 'ok', tables: ['orders', 'salaries'] });
    expect(await anaSocket.next('sync')).toEqual({ type: 'sync', source: 'mixed', status: 'ok', tables: ['orders'] });

    await writeTables(t, 'hr', { reviews: "SELECT 'good' AS verdict" });
    expect(await adminSocket.next('sync')).toEqual({ type: 'sync', source: 'hr', status: 'ok', tables: ['reviews'] });
    // Then something ana can read: her next event is that one, so the private one never came.
    await writeTables(t, 'mixed', { orders: 'SELECT 3 AS id' });
    expect(await anaSocket.next('sync')).toEqual({ type: 'sync', source: 'mixed', status: 'ok', tables: ['orders'] });
    expect(anaSocket.messages.filter((m) => m.type === 'sync').map((m) => m.source)).toEqual(['mixed', 'mixed']);
  });

  it('announce a sync through the connector, and its failure once (the previous data is kept)', async () => {
    expect((await t.host.syncSource('flaky')).error).toBeUndefined();
    expect(await anaSocket.next('sync')).toEqual({ type: 'sync', source: 'flaky', status: 'ok', tables: ['flaky_rows'] });
    flaky.failing = true;
    try {
      expect((await t.host.syncSource('flaky')).error).toMatch(/the source is down/);
      expect(await anaSocket.next('sync')).toEqual({ type: 'sync', source: 'flaky', status: 'error', tables: ['flaky_rows'] });
      await t.host.syncSource('flaky');
      await waitMs(400);
      expect(anaSocket.messages.filter((m) => m.type === 'sync' && m.status === 'error')).toHaveLength(1);
    } finally {
      flaky.failing = false;
    }
  });
});
