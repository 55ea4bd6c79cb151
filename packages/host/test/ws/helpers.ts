// A real `ws` client against the test host's /ws: what it received, in order, and how it closed.
import WebSocket, { type ClientOptions } from 'ws';
import type { TestHost } from '@aida/host/testing';

export interface Received {
  type: string;
  [key: string]: unknown;
}

export interface TestSocket {
  ws: WebSocket;
  /** Everything received so far. */
  messages: Received[];
  /** The next message of `type` not yet taken (waits up to `timeoutMs`). */
  next(type: string, timeoutMs?: number): Promise<Received>;
  /** Resolves once the socket closed, with the code and reason the host gave. */
  closed: Promise<{ code: number; reason: string }>;
}

export function wsUrl(t: TestHost, path = '/ws'): string {
  return `${t.url.replace(/^http/, 'ws')}${path}`;
}

/** Opens a socket (it has not authenticated yet). */
export async function openSocket(url: string, options: ClientOptions = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, options);
  const messages: Received[] = [];
  const taken = new Set<Received>();
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(data.toString()) as Received);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (type: string, timeoutMs = 5000) =>
    new Promise<Received>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${type}' message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`)), timeoutMs);
      const look = () => {
        const m = messages.find((x) => x.type === type && !taken.has(x));
        if (m) {
          taken.add(m);
          clearTimeout(timer);
          resolve(m);
        } else waiters.push(look);
      };
      look();
    });
  return { ws, messages, next, closed };
}

/** Opens a socket and authenticates with `token`; resolves once the host said `ready`. */
export async function connect(t: TestHost, token: string, options: ClientOptions = {}): Promise<TestSocket> {
  const s = await openSocket(wsUrl(t), options);
  s.ws.send(JSON.stringify({ type: 'auth', token }));
  await Promise.race([s.next('ready'), s.closed.then((c) => Promise.reject(new Error(`closed ${c.code} ${c.reason} instead of ready`)))]);
  return s;
}

export function waitMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
