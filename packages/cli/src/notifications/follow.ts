// `da notifications --follow`: one WebSocket to the server's /ws, authenticated with the CLI's
// token, kept open until the caller aborts; dropped connections are opened again with backoff.
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { backoffDelay } from '../api.js';
import { CliError } from '../errors.js';

/** What the gateway sends (docs/notifications.md#websocket-gateway). */
export interface GatewayMessage {
  type: string;
  [key: string]: unknown;
}

export interface FollowOptions {
  server: string;
  token: string;
  /** Every message after `ready` (notifications, sync events). */
  onMessage(message: GatewayMessage): void;
  /** Each time a socket is authenticated; `reconnected` is false the first time. */
  onReady(userId: string, reconnected: boolean): Promise<void> | void;
  /** A drop and the wait before the next attempt. */
  onDrop(why: string, retryInMs: number): void;
  /** Ends following (Ctrl-C); the promise then resolves. */
  signal: AbortSignal;
  backoffMs: number;
  /** Longest wait between attempts. */
  maxBackoffMs?: number;
}

/** The /ws URL of a server URL: http→ws, https→wss, under the server's path. */
export function gatewayUrl(server: string): string {
  const u = new URL(server);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/ws`;
  return u.toString();
}

type Ended = { kind: 'aborted' } | { kind: 'dropped'; why: string; authenticated: boolean } | { kind: 'refused'; error: CliError };

/** Follows until `signal` aborts; rejects only when the server refuses the token (auth). */
export async function follow(o: FollowOptions): Promise<void> {
  const url = gatewayUrl(o.server);
  let attempt = 0;
  let reconnected = false;
  while (!o.signal.aborted) {
    const ended = await once(url, o, reconnected);
    if (ended.kind === 'aborted') return;
    if (ended.kind === 'refused') throw ended.error;
    if (ended.authenticated) {
      attempt = 0;
      reconnected = true;
    }
    const wait = Math.min(backoffDelay(o.backoffMs, attempt++), o.maxBackoffMs ?? 30_000);
    o.onDrop(ended.why, wait);
    await sleep(wait, undefined, { signal: o.signal }).catch(() => undefined);
  }
}

/** One connection, from opening to its end. */
function once(url: string, o: FollowOptions, reconnected: boolean): Promise<Ended> {
  return new Promise<Ended>((resolve) => {
    let authenticated = false;
    const ws = new WebSocket(url, { handshakeTimeout: 15_000 });
    const onAbort = () => ws.close(1000, 'done');
    o.signal.addEventListener('abort', onAbort, { once: true });
    let failure: string | undefined;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token: o.token })));
    ws.on('error', (e) => (failure = (e as NodeJS.ErrnoException).code ?? e.message));
    ws.on('message', (data) => {
      let m: GatewayMessage;
      try {
        m = JSON.parse(data.toString()) as GatewayMessage;
      } catch {
        return;
      }
      if (m.type === 'ready' && !authenticated) {
        authenticated = true;
        void Promise.resolve(o.onReady(String(m.user_id), reconnected)).catch((e: unknown) => {
          failure = `catching up failed: ${(e as Error).message}`;
        });
        return;
      }
      if (authenticated) o.onMessage(m);
    });
    ws.on('close', (code, reasonBuf) => {
      o.signal.removeEventListener('abort', onAbort);
      const reason = reasonBuf.toString();
      if (o.signal.aborted) return resolve({ kind: 'aborted' });
      // 4401: the token is refused (invalid, revoked, expired, user deactivated): trying again cannot help.
      if (code === 4401) {
        return resolve({
          kind: 'refused',
          error: new CliError('auth', `The server refused the token: ${reason || 'unauthenticated'}`, {
            hint: 'run da login, or set DA_TOKEN to a valid personal access token',
          }),
        });
      }
      const why = code === 1006 ? `connection lost${failure ? ` (${failure})` : ''}` : `closed ${code}${reason ? `: ${reason}` : ''}`;
      resolve({ kind: 'dropped', why, authenticated });
    });
  });
}
