// (w) The WebSocket gateway's fan-out: 1,000 sockets (200 users × 5, the per-user limit) are
// connected and authenticated to a host in a child process; then each user is sent one
// notification through the hub at once (recorded, then delivered on the `ws` channel to all of
// that user's sockets). Reported: p95 of the time from the fan-out's start to each socket's
// arrival, and the host's RSS with the sockets open. Baseline, in the same run: a plain `ws`
// server in a child process broadcasting the same payload to 1,000 clients (the floor of
// delivering one message to 1,000 sockets on this machine). Median of `runs` rounds each.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { median, withTempDir } from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const now = () => performance.timeOrigin + performance.now();
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

function p95(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)];
}

/** A child running `kind` (`aida` or `plain`); resolves with its first message. */
function startChild(kind, args) {
  const child = fork(SELF, ['--ws-child', kind, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, AIDA_LOG_LEVEL: 'warn' } });
  const pending = [];
  child.on('message', (m) => pending.shift()?.resolve(m));
  child.once('exit', (code) => pending.splice(0).forEach((p) => p.reject(new Error(`the ${kind} child exited with ${code}`))));
  const ask = (m) =>
    new Promise((resolve, reject) => {
      pending.push({ resolve, reject });
      if (m) child.send(m);
    });
  return { child, ask, first: ask() };
}

/** Opens `tokens.length` sockets (authenticating when a token is given), `batch` at a time; each records its arrivals. */
async function openClients(url, tokens, batch = 100) {
  const clients = [];
  for (let i = 0; i < tokens.length; i += batch) {
    const opened = tokens.slice(i, i + batch).map(
      (token) =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(url);
          const c = { ws, arrivals: [] };
          ws.on('error', reject);
          ws.on('close', (code, reason) => c.ready || reject(new Error(`closed ${code} ${reason}`)));
          ws.on('message', (data) => {
            const m = JSON.parse(data.toString());
            if (m.type === 'ready') {
              c.ready = true;
              resolve(c);
            } else if (m.type === 'notification' || m.type === 'broadcast') c.arrivals.push(now());
          });
          ws.on('open', () => {
            if (token) ws.send(JSON.stringify({ type: 'auth', token }));
            else {
              c.ready = true;
              resolve(c);
            }
          });
        }),
    );
    clients.push(...(await Promise.all(opened)));
  }
  return clients;
}

/** Waits until every client has `n` arrivals; returns each one's latency for round `n` against `t0`. */
async function latencies(clients, n, t0, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (clients.some((c) => c.arrivals.length < n)) {
    if (Date.now() > deadline) throw new Error(`${clients.filter((c) => c.arrivals.length < n).length} sockets did not get message ${n}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return clients.map((c) => c.arrivals[n - 1] - t0);
}

export async function benchWsFanout({ report, users = 200, perUser = 5, runs = 5 } = {}) {
  const sockets = users * perUser;
  await withTempDir('aida-bench-ws-', async (dataDir) => {
    // The host.
    const aida = startChild('aida', [dataDir, String(users)]);
    const { url, tokens, rssIdle } = await aida.first;
    const aidaClients = await openClients(
      `${url.replace(/^http/, 'ws')}/ws`,
      tokens.flatMap((t) => Array(perUser).fill(t)),
    );
    // The baseline.
    const plain = startChild('plain', []);
    const { url: plainUrl } = await plain.first;
    const plainClients = await openClients(plainUrl, Array(sockets).fill(undefined));
    try {
      const aidaP95 = [];
      const plainP95 = [];
      const hubMs = [];
      for (let round = 1; round <= runs; round++) {
        // Interleaved, so machine noise hits both alike.
        const sent = await aida.ask({ type: 'fanout', round });
        aidaP95.push(p95(await latencies(aidaClients, round, sent.t0)));
        hubMs.push(sent.ms);
        const broadcast = await plain.ask({ type: 'broadcast', round });
        plainP95.push(p95(await latencies(plainClients, round, broadcast.t0)));
        if (Object.values(sent.deliveries).some((n) => n !== perUser))
          throw new Error(`not every user's ${perUser} sockets got it: ${JSON.stringify(sent.deliveries)}`);
      }
      report(
        `WebSocket fan-out: one notification to each of ${users} users through the hub, ${sockets} sockets, p95 delivery (median of ${runs})`,
        median(aidaP95),
        'ms',
        {
          baseline: median(plainP95),
          baselineName: `plain ws server broadcasting to ${sockets} clients`,
        },
      );
      // Most of the above is the hub recording each notification and its deliveries in the system database.
      report(`WebSocket fan-out: the hub's ${users} sends (record, deliver, record the outcome) all resolved (median of ${runs})`, median(hubMs), 'ms');
      const hostRss = rssMb(aida.child.pid);
      const plainRss = rssMb(plain.child.pid);
      report(`WebSocket gateway: host RSS with ${sockets} sockets open`, hostRss, 'MB', {
        baseline: plainRss,
        baselineName: `plain ws server with ${sockets} clients`,
      });
      report(`WebSocket gateway: host RSS growth from 0 to ${sockets} sockets (and ${runs} fan-outs)`, hostRss - rssIdle, 'MB');
    } finally {
      for (const c of [...aidaClients, ...plainClients]) c.ws.terminate();
      await Promise.all([aida, plain].map((p) => new Promise((r) => (p.child.once('exit', r), p.child.send({ type: 'stop' })))));
    }
  });
}

/** The host: users created and signed in through the identity layer (the host's own tokens), then fan-outs on request. */
async function aidaChild(dataDir, userCount) {
  const { createHost } = await import('@aida/host');
  const { tokens } = await import('@aida/core');
  const { pino } = await import('pino');
  const host = await createHost({ dataDir, config: { analytics: { profile_after_rebuild: false } }, logger: pino({ level: 'warn' }) });
  await host.start();
  const { url, close } = await host.listen(0, '127.0.0.1');
  const sessions = host.resolve(tokens.sessions);
  const issued = [];
  for (let i = 0; i < userCount; i++) {
    issued.push(await sessions.signIn({ email: `bench-${i}@example.com`, provider: 'bench', createIfMissing: { role: 'viewer' } }));
  }
  const hub = host.resolve(tokens.notifications);
  const rssIdle = process.memoryUsage().rss / 1024 / 1024;
  process.send({ url, tokens: issued.map((s) => s.access_token), rssIdle });
  process.on('message', async (m) => {
    if (m.type === 'stop') {
      await close();
      await host.stop();
      process.exit(0);
    }
    const t0 = now();
    const sent = await Promise.all(
      issued.map((s) =>
        hub.send({
          userId: s.user_id,
          title: `Orders dropped (round ${m.round})`,
          body: 'Orders fell 40 % below the 7-day average',
          origin: 'bench',
          channels: ['ws'],
        }),
      ),
    );
    const deliveries = Object.fromEntries(sent.map((s) => [s.notification.userId, Number(/^(\d+)/.exec(s.deliveries.ws.detail ?? '')?.[1] ?? 0)]));
    process.send({ t0, deliveries, ms: now() - t0 });
  });
}

/** The baseline: a bare `ws` server that broadcasts one payload of the same shape to every client. */
async function plainChild() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  process.send({ url: `ws://127.0.0.1:${wss.address().port}` });
  process.on('message', (m) => {
    if (m.type === 'stop') return wss.close(() => process.exit(0));
    const t0 = now();
    const text = JSON.stringify({
      type: 'broadcast',
      id: crypto.randomUUID(),
      title: `Orders dropped (round ${m.round})`,
      body: 'Orders fell 40 % below the 7-day average',
      created_at: new Date().toISOString(),
    });
    for (const ws of wss.clients) ws.send(text);
    process.send({ t0 });
  });
}

if (process.argv[2] === '--ws-child') {
  if (process.argv[3] === 'aida') await aidaChild(process.argv[4], Number(process.argv[5]));
  else await plainChild();
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const { printSummary, report } = await import('./lib.mjs');
  await benchWsFanout({ report, users: Number(process.env.BENCH_WS_USERS ?? 200) });
  printSummary();
}
