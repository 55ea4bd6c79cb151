import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type AuthenticatedFetch, type TestHost } from '@aida/host/testing';
import { connect, openSocket, waitMs, wsUrl } from './helpers.js';

// Short timers so each case takes well under 2 s; the defaults (10 s, 30 s × 3) are the config's.
const WS = { auth_timeout: '300ms', ping_interval: '100ms', max_missed_pongs: 2, max_connections_per_user: 5, recheck_interval: '100ms' };

let t: TestHost;
let ana: AuthenticatedFetch;

beforeAll(async () => {
  t = await startTestHost({ config: { ws: WS } });
  ana = await t.asUser('analyst');
});
afterAll(() => t?.stop());

async function createPat(user: AuthenticatedFetch): Promise<{ id: string; token: string }> {
  const res = await user('/auth/tokens', { method: 'POST', body: JSON.stringify({ name: `ws-${Math.random()}`, expires_in_days: 1 }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; token: string };
}

describe('authentication', () => {
  it('answers ready with the user id to a session JWT and to a PAT', async () => {
    const s = await connect(t, ana.token);
    expect(s.messages[0]).toEqual({ type: 'ready', user_id: ana.user.id });
    const pat = await createPat(ana);
    const p = await connect(t, pat.token);
    expect(p.messages[0]).toEqual({ type: 'ready', user_id: ana.user.id });
    s.ws.close();
    p.ws.close();
  });

  it('closes a socket that sends nothing with 4401 once auth_timeout has passed', async () => {
    const started = Date.now();
    const s = await openSocket(wsUrl(t));
    const closed = await s.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/^authentication timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('closes with 4401 and its own reason for a bad token, and for a first message that is not auth', async () => {
    const bad = await openSocket(wsUrl(t));
    bad.ws.send(JSON.stringify({ type: 'auth', token: 'not-a-token' }));
    expect(await bad.closed).toEqual({ code: 4401, reason: 'authentication failed: Invalid token' });

    // A session JWT with its signature changed: the host's own verifier refuses it.
    const forged = await openSocket(wsUrl(t));
    forged.ws.send(JSON.stringify({ type: 'auth', token: `${ana.token.slice(0, -4)}AAAA` }));
    expect(await forged.closed).toEqual({ code: 4401, reason: 'authentication failed: Invalid token' });

    const wrong = await openSocket(wsUrl(t));
    wrong.ws.send(JSON.stringify({ type: 'hello' }));
    const closed = await wrong.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toBe('the first message must be {"type":"auth","token":...}');
    expect(wrong.messages).toEqual([]);
  });

  it('refuses a revoked PAT, and closes the open socket of a PAT revoked later', async () => {
    const pat = await createPat(ana);
    const s = await connect(t, pat.token);
    expect((await ana(`/auth/tokens/${pat.id}`, { method: 'DELETE' })).status).toBe(204);
    const closed = await Promise.race([s.closed, waitMs(2000).then(() => undefined)]);
    expect(closed).toEqual({ code: 4401, reason: 'authentication ended: This token has been revoked' });

    const again = await openSocket(wsUrl(t));
    again.ws.send(JSON.stringify({ type: 'auth', token: pat.token }));
    expect(await again.closed).toEqual({ code: 4401, reason: 'authentication failed: This token has been revoked' });
  });

  it('closes the sockets of a user who is deactivated, and refuses new ones', async () => {
    const bea = await t.asUser('viewer');
    const s = await connect(t, bea.token);
    const admin = await t.asAdmin();
    expect((await admin(`/api/users/${bea.user.id}/deactivate`, { method: 'POST' })).status).toBe(200);
    const closed = await Promise.race([s.closed, waitMs(2000).then(() => undefined)]);
    expect(closed).toEqual({ code: 4401, reason: 'authentication ended: This account is deactivated' });
    const again = await openSocket(wsUrl(t));
    again.ws.send(JSON.stringify({ type: 'auth', token: bea.token }));
    expect(await again.closed).toEqual({ code: 4401, reason: 'authentication failed: This account is deactivated' });
  });
});

describe('limits and heartbeat', () => {
  it('refuses the 6th socket of a user with 4429, and takes one again after one closed', async () => {
    const carl = await t.asUser('analyst');
    const five = await Promise.all([1, 2, 3, 4, 5].map(() => connect(t, carl.token)));
    const sixth = await openSocket(wsUrl(t));
    sixth.ws.send(JSON.stringify({ type: 'auth', token: carl.token }));
    expect(await sixth.closed).toEqual({ code: 4429, reason: 'too many connections: at most 5 per user; close one first' });
    // Another user is not held to carl's count.
    const other = await connect(t, ana.token);
    five[0].ws.close();
    await five[0].closed;
    await waitMs(50);
    const replacement = await connect(t, carl.token);
    for (const s of [...five.slice(1), other, replacement]) s.ws.close();
  });

  it('drops a socket that does not answer pings, and keeps one that does', async () => {
    // Pings counted from the start: the first may come before `ready` is read.
    const deaf = await openSocket(wsUrl(t), { autoPong: false });
    let pings = 0;
    deaf.ws.on('ping', () => pings++);
    const started = Date.now();
    deaf.ws.send(JSON.stringify({ type: 'auth', token: ana.token }));
    await deaf.next('ready');
    const alive = await connect(t, ana.token);
    const closed = await Promise.race([deaf.closed, waitMs(2000).then(() => undefined)]);
    // Terminated, not closed: a peer that stopped answering would not answer a close either.
    expect(closed?.code).toBe(1006);
    // max_missed_pongs 2: two pings unanswered, dropped at the next tick.
    expect(pings).toBe(2);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
    alive.ws.send(JSON.stringify({ type: 'ping' }));
    expect(await alive.next('pong')).toEqual({ type: 'pong' });
    alive.ws.close();
  });

  it('leaves other upgrade paths alone (nobody else listens here, so they get 404)', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const port = Number(new URL(t.url).port);
      const sock = netConnect(port, '127.0.0.1', () => {
        sock.write(
          'GET /elsewhere HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        );
      });
      let text = '';
      sock.on('data', (d) => (text += d));
      sock.on('end', () => resolve(text));
      sock.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1.1 404/);
  });
});

describe('a host mounted under a path (instance.base_url)', () => {
  it('serves the gateway at <path>/ws only', async () => {
    const mounted = await startTestHost({ config: { instance: { base_url: 'https://aida.example/data/' }, ws: WS } });
    try {
      const admin = await mounted.asAdmin();
      const s = await openSocket(wsUrl(mounted, '/data/ws'));
      s.ws.send(JSON.stringify({ type: 'auth', token: admin.token }));
      expect(await s.next('ready')).toEqual({ type: 'ready', user_id: admin.user.id });
      s.ws.close();
      await expect(openSocket(wsUrl(mounted, '/ws'))).rejects.toThrow(/404/);
    } finally {
      await mounted.stop();
    }
  });
});
