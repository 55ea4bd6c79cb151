import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokens } from '@aida/core';
import { daWorkspace, spawnDa, startDaHost, writeTables, type DaHost } from './helpers.js';

/** A TCP relay in front of the host whose connections a test can cut (the server "going away"). */
async function startRelay(target: string): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const up = netConnect(Number(port), hostname);
    for (const s of [client, up]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(up).pipe(client);
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => open.forEach((s) => s.destroy()),
    close: () => {
      open.forEach((s) => s.destroy());
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Lines of a child's stdout as they come. */
function lines(child: ReturnType<typeof spawnDa>['child']): { all: string[]; waitFor(match: (line: string) => boolean, ms?: number): Promise<string> } {
  const all: string[] = [];
  let buf = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    all.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  return {
    all,
    waitFor: (match, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching line within ${ms} ms; stdout so far:\n${all.join('\n')}`)), ms);
        const look = () => {
          const hit = all.find(match);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else waiters.push(look);
        };
        look();
      }),
  };
}

describe('da notifications', () => {
  let h: DaHost;
  const hub = () => h.t.host.resolve(tokens.notifications);
  beforeAll(async () => {
    h = await startDaHost({ orders: { sql: 'SELECT 1 AS id' } });
  });
  afterAll(() => h?.stop());

  it('lists your recent notifications, newest first, and only yours', async () => {
    await hub().send({ userId: h.analystId, title: 'First', body: 'one', origin: 'test', channels: [] });
    await hub().send({ userId: h.analystId, title: 'Second', body: 'two', origin: 'test', channels: [] });
    const adminId = String(((await (await h.t.request('/auth/me', { headers: { authorization: `Bearer ${h.adminToken}` } })).json()) as { id: string }).id);
    await hub().send({ userId: adminId, title: 'Not for the analyst', body: '', origin: 'test', channels: [] });
    const ws = await daWorkspace();
    try {
      const env = { DA_SERVER: h.url, DA_TOKEN: h.analystToken };
      const r = await ws.run(['notifications', '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.json<{ notifications: { title: string }[] }>().notifications.map((n) => n.title)).toEqual(['Second', 'First']);
      const human = await ws.run(['notifications', '--limit', '1'], { env });
      expect(human.stdout).toMatch(/Second\s+two/);
      expect(human.stdout).not.toMatch(/First/);
      const bad = await ws.run(['notifications', '--sync'], { env });
      expect(bad.code).toBe(2);
    } finally {
      await ws.cleanup();
    }
  });

  it('--follow prints each notification sent through the hub as it arrives, reconnects after a drop without losing any, and Ctrl-C ends it with 0', async () => {
    const relay = await startRelay(h.url);
    const ws = await daWorkspace();
    try {
      const run = spawnDa(['notifications', '--follow', '--sync', '--json'], {
        env: { ...ws.env, DA_SERVER: relay.url, DA_TOKEN: h.analystToken, DA_BACKOFF_MS: '50' },
      });
      const out = lines(run.child);
      let stderr = '';
      run.child.stderr!.on('data', (d) => (stderr += d));
      await out.waitFor((l) => JSON.parse(l).type === 'ready');

      const sent = await hub().send({ userId: h.analystId, title: 'Orders dropped', body: 'by 40 %', origin: 'test', channels: ['ws'] });
      expect(sent.deliveries.ws.status).toBe('delivered');
      const line = await out.waitFor((l) => l.includes(sent.notification.id));
      expect(JSON.parse(line)).toEqual({
        type: 'notification',
        id: sent.notification.id,
        title: 'Orders dropped',
        body: 'by 40 %',
        created_at: sent.notification.createdAt.toISOString(),
      });

      // The connection drops; what is sent meanwhile is read back from the list on reconnecting.
      relay.cut();
      const during = await hub().send({ userId: h.analystId, title: 'While away', body: '', origin: 'test', channels: ['ws'] });
      await out.waitFor((l) => l.includes(during.notification.id));
      expect(out.all.filter((l) => JSON.parse(l).type === 'ready')).toHaveLength(2);
      expect(stderr).toMatch(/reconnecting in/);

      // Sync events with --sync.
      await writeTables(h.t.dataDir, 'shop', { orders: { sql: 'SELECT 2 AS id' } });
      await h.t.host.orchestrator.rebuild();
      expect(JSON.parse(await out.waitFor((l) => JSON.parse(l).type === 'sync'))).toEqual({ type: 'sync', source: 'shop', status: 'ok', tables: ['orders'] });

      run.child.kill('SIGINT');
      const done = await run.result;
      expect(done.code, done.stderr).toBe(0);
      expect(out.all.filter((l) => l.includes(sent.notification.id))).toHaveLength(1);
    } finally {
      await relay.close();
      await ws.cleanup();
    }
  });

  it('--follow with a token the server refuses exits with the auth code (3) instead of retrying', async () => {
    const ws = await daWorkspace();
    try {
      const r = await spawnDa(['notifications', '--follow'], { env: { ...ws.env, DA_SERVER: h.url, DA_TOKEN: 'not-a-token' } }).result;
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/The server refused the token: authentication failed: Invalid token/);
    } finally {
      await ws.cleanup();
    }
  });
});
