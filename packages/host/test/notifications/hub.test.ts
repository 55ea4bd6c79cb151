import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokens, type Notification, type NotificationChannel, type NotificationChart } from '@aida/core';
import { startTestHost, type AuthenticatedFetch, type TestHost } from '@aida/host/testing';
import { MAX_BODY_CHARS } from '../../src/notifications/hub.js';
import { writeTables } from '../mcp/helpers.js';

// A 1×1 PNG: the hub stores the bytes as given and serves them back unchanged.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/** A channel as a plugin registers one: records what it was handed; `fail` makes it reject. */
function recordingChannel(id: string, fail = false): NotificationChannel & { got: { n: Notification; chart?: NotificationChart }[] } {
  const got: { n: Notification; chart?: NotificationChart }[] = [];
  return {
    id,
    got,
    async deliver(n, chart) {
      if (fail) throw new Error(`${id} is down`);
      got.push({ n, chart });
      return { status: 'delivered' };
    },
  };
}

let t: TestHost;
let ada: AuthenticatedFetch;
let bob: AuthenticatedFetch;
const ok = recordingChannel('test-ok');
const down = recordingChannel('test-down', true);

beforeAll(async () => {
  t = await startTestHost();
  const hub = t.host.resolve(tokens.notifications);
  hub.registerChannel(ok);
  hub.registerChannel(down);
  ada = await t.asUser('analyst');
  bob = await t.asUser('analyst');
});
afterAll(() => t?.stop());

describe('the notification hub', () => {
  it('records a notification, delivers it on each channel asked for, and one failing channel does not stop the others', async () => {
    const hub = t.host.resolve(tokens.notifications);
    const sent = await hub.send({
      userId: ada.user.id,
      title: 'Orders dropped',
      body: 'x'.repeat(MAX_BODY_CHARS + 50),
      origin: 'test',
      chart: { png: PNG, alt: 'orders per day' },
      channels: ['test-ok', 'test-down', 'telegram'],
    });
    expect(sent.deliveries).toEqual({
      'test-ok': { status: 'delivered' },
      'test-down': { status: 'failed', detail: 'test-down is down' },
      telegram: { status: 'skipped', detail: 'not installed' },
    });
    expect(sent.notification.body).toHaveLength(MAX_BODY_CHARS);
    expect(sent.notification.body.endsWith('…')).toBe(true);
    expect(ok.got.at(-1)!.n.id).toBe(sent.notification.id);
    expect(Buffer.from(ok.got.at(-1)!.chart!.png).equals(PNG)).toBe(true);

    const list = await (await ada('/api/notifications')).json();
    expect(list.total).toBe(1);
    expect(list.notifications[0]).toMatchObject({
      id: sent.notification.id,
      title: 'Orders dropped',
      origin: 'test',
      chart_url: `/api/notifications/${sent.notification.id}/chart`,
      deliveries: { 'test-down': { status: 'failed' } },
    });
    const chart = await ada(list.notifications[0].chart_url);
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await chart.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it("never shows a user another user's notifications or charts", async () => {
    const hub = t.host.resolve(tokens.notifications);
    const sent = await hub.send({ userId: ada.user.id, title: 'Private', body: 'for Ada', origin: 'test', chart: { png: PNG }, channels: [] });
    const bobs = await (await bob('/api/notifications')).json();
    expect(bobs.total).toBe(0);
    const chart = await bob(`/api/notifications/${sent.notification.id}/chart`);
    expect(chart.status).toBe(404);
    expect((await chart.json()).code).toBe('AIDA_NOTIFICATION_NOT_FOUND');
    const filtered = await (await ada('/api/notifications?origin=test&limit=1')).json();
    expect(filtered).toMatchObject({ count: 1, total: 2, limit: 1 });
    expect(filtered.notifications[0].title).toBe('Private');
  });

  it('a fan-out of many sends at once records every notification with its own deliveries', async () => {
    const hub = t.host.resolve(tokens.notifications);
    const sent = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        hub.send({
          userId: i % 2 ? ada.user.id : bob.user.id,
          title: `fan-out ${i}`,
          body: `#${i}`,
          origin: 'fanout',
          channels: i % 3 ? ['test-ok'] : ['test-down'],
        }),
      ),
    );
    expect(new Set(sent.map((s) => s.notification.id)).size).toBe(120);
    const bobs = await (await bob('/api/notifications?origin=fanout&limit=500')).json();
    expect(bobs.total).toBe(60);
    for (const n of bobs.notifications) {
      const i = Number(n.body.slice(1));
      expect(n.title).toBe(`fan-out ${i}`);
      expect(n.deliveries).toEqual(i % 3 ? { 'test-ok': { status: 'delivered' } } : { 'test-down': { status: 'failed', detail: 'test-down is down' } });
    }
  });

  it('refuses a second channel with the same id and a notification without a title', async () => {
    const hub = t.host.resolve(tokens.notifications);
    expect(() => hub.registerChannel(recordingChannel('test-ok'))).toThrow(/already registered/);
    await expect(hub.send({ userId: ada.user.id, title: '  ', body: 'b', origin: 'test' })).rejects.toThrow(/needs a title/);
  });

  it('tells a plugin how fresh the tables a user can read are, and only those', async () => {
    await writeTables(t, 'shop', { orders: 'SELECT range AS id FROM range(7)', payroll: 'SELECT 1 AS salary' });
    const admin = await t.asAdmin();
    expect((await admin('/api/admin/registry/payroll', { method: 'PUT', body: JSON.stringify({ is_public: false }) })).status).toBe(200);
    const fresh = await t.host.resolve(tokens.freshness).forUser(ada.user.id);
    expect(fresh.map((f) => f.table)).toEqual(['orders']);
    expect(fresh[0]).toMatchObject({ source: 'shop', rows: 7, status: 'ok' });
    expect(fresh[0]!.lastSyncAt).toBeInstanceOf(Date);
    const adminView = await t.host.resolve(tokens.freshness).forUser(admin.user.id);
    expect(adminView.map((f) => f.table).sort()).toEqual(['orders', 'payroll']);
    expect(await t.host.resolve(tokens.freshness).forUser('no-such-user')).toEqual([]);
  });
});
