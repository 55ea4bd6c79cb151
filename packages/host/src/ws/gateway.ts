import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { AuthenticationError, type RequestUser } from '@aida/core';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { authMessage, clientMessage, CLOSE, closeReason, type ServerMessage } from './protocol.js';

export interface GatewayOptions {
  /** The upgrade path served, with the host's mount prefix (`/ws`, `/data/ws`). */
  path: string;
  authTimeoutMs: number;
  pingIntervalMs: number;
  maxMissedPongs: number;
  maxConnectionsPerUser: number;
  maxPayload: number;
  recheckIntervalMs: number;
  /** The host's own token check (a session JWT or PAT); throws an AuthenticationError when it refuses. */
  verify(token: string, ip: string): RequestUser;
  logger: Logger;
}

/** One authenticated socket. */
interface Client {
  socket: WebSocket;
  server: Server;
  user: RequestUser;
  /** Kept to check it again: a revoked PAT or a deactivated user must lose the socket. */
  token: string;
  ip: string;
  /** Pings sent since the last pong. */
  missed: number;
}

/** A reader this far behind is not reading: its socket is dropped rather than buffering without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** How long stop() waits for clients to answer the close before cutting them off. */
const CLOSE_GRACE_MS = 1000;

/**
 * The WebSocket endpoint: authenticates each socket with its first message, holds at most
 * `maxConnectionsPerUser` per user, pings them, re-checks their tokens, and sends a user's
 * messages to that user's sockets only.
 */
export class WebSocketGateway {
  private readonly wss: WebSocketServer;
  private readonly byUser = new Map<string, Set<Client>>();
  /** Sockets that have not authenticated yet, with the server they came in on. */
  private readonly pending = new Map<WebSocket, Server>();
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;

  constructor(private readonly o: GatewayOptions) {
    // noServer: the host's HTTP server stays the host's; only upgrades to `path` come here.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload, clientTracking: false, perMessageDeflate: false });
  }

  start(): void {
    if (this.timers.length) return;
    this.timers = [setInterval(() => this.heartbeat(), this.o.pingIntervalMs), setInterval(() => this.recheck(), this.o.recheckIntervalMs)];
    for (const t of this.timers) t.unref();
  }

  /** Serves upgrades to `path` on `server`; returns how to stop (closing that server's sockets). */
  /** Serves the gateway at `path` (the configured one by default) on `server`; returns how to detach. */
  attach(server: Server, path = this.o.path): () => void {
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(server, path, req, socket, head);
    server.on('upgrade', onUpgrade);
    return () => {
      server.off('upgrade', onUpgrade);
      const sockets = [...this.pending].filter(([, from]) => from === server).map(([ws]) => ws);
      for (const c of this.clients()) if (c.server === server) sockets.push(c.socket);
      // The server's close waits for these sockets: a client that does not answer the close is cut off.
      for (const ws of sockets) void closeWithin(ws, CLOSE_GRACE_MS, CLOSE.goingAway, 'the server is closing');
    };
  }

  /** Whether the user has an authenticated socket now. */
  isConnected(userId: string): boolean {
    return Boolean(this.byUser.get(userId)?.size);
  }

  connections(userId?: string): number {
    if (userId) return this.byUser.get(userId)?.size ?? 0;
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /** The users with at least one socket, as their last token check saw them. */
  connectedUsers(): RequestUser[] {
    return [...this.byUser.values()].flatMap((set) => {
      const first = set.values().next();
      return first.done ? [] : [first.value.user];
    });
  }

  /** Sends to every socket of the user; resolves with how many took it. */
  async sendToUser(userId: string, message: ServerMessage): Promise<number> {
    const set = this.byUser.get(userId);
    if (!set?.size) return 0;
    const text = JSON.stringify(message);
    const sent = await Promise.all([...set].map((c) => this.send(c, text)));
    return sent.filter(Boolean).length;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const sockets = [...this.pending.keys(), ...[...this.clients()].map((c) => c.socket)];
    await Promise.all(sockets.map((ws) => closeWithin(ws, CLOSE_GRACE_MS, CLOSE.goingAway, 'the server is stopping')));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private *clients(): Generator<Client> {
    for (const set of this.byUser.values()) yield* set;
  }

  private upgrade(server: Server, served: string, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== served) {
      // Another listener's upgrade; with none, nobody would ever answer the client.
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404, 'Not Found');
      return;
    }
    if (this.stopping) return refuse(socket, 503, 'Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, server, req.socket.remoteAddress ?? ''));
  }

  private accept(ws: WebSocket, server: Server, ip: string): void {
    this.pending.set(ws, server);
    let client: Client | undefined;
    const timeout = setTimeout(() => {
      ws.close(CLOSE.unauthenticated, closeReason(`authentication timeout: send {"type":"auth","token":...} within ${formatMs(this.o.authTimeoutMs)}`));
    }, this.o.authTimeoutMs);
    timeout.unref();
    ws.on('message', (data, isBinary) => {
      if (client) return this.afterAuth(client, data, isBinary);
      if (!this.pending.has(ws)) return; // refused already; its close is under way
      clearTimeout(timeout);
      client = this.authenticate(ws, server, ip, isBinary ? undefined : data.toString());
    });
    ws.on('pong', () => {
      if (client) client.missed = 0;
    });
    ws.on('error', (e) => this.o.logger.debug({ err: e, user: client?.user.id }, 'websocket error'));
    ws.on('close', () => {
      clearTimeout(timeout);
      this.pending.delete(ws);
      if (client) this.forget(client);
    });
  }

  /** The first message: a valid auth message with a token the host accepts, within the user's connection limit. */
  private authenticate(ws: WebSocket, server: Server, ip: string, text: string | undefined): Client | undefined {
    this.pending.delete(ws);
    const parsed = authMessage.safeParse(parseJson(text));
    if (!parsed.success) {
      ws.close(CLOSE.unauthenticated, 'the first message must be {"type":"auth","token":...}');
      return undefined;
    }
    let user: RequestUser;
    try {
      user = this.o.verify(parsed.data.token, ip);
    } catch (e) {
      if (!(e instanceof AuthenticationError)) {
        this.o.logger.error({ err: e }, 'checking a websocket token failed');
        ws.close(1011, 'internal error');
        return undefined;
      }
      ws.close(CLOSE.unauthenticated, closeReason(`authentication failed: ${e.message}`));
      return undefined;
    }
    const set = this.byUser.get(user.id) ?? new Set<Client>();
    if (set.size >= this.o.maxConnectionsPerUser) {
      ws.close(CLOSE.tooManyConnections, closeReason(`too many connections: at most ${this.o.maxConnectionsPerUser} per user; close one first`));
      return undefined;
    }
    const client: Client = { socket: ws, server, user, token: parsed.data.token, ip, missed: 0 };
    set.add(client);
    this.byUser.set(user.id, set);
    void this.send(client, JSON.stringify({ type: 'ready', user_id: user.id } satisfies ServerMessage));
    return client;
  }

  private afterAuth(client: Client, data: RawData, isBinary: boolean): void {
    // Clients that cannot see protocol pings (browsers) may ping in JSON; everything else is ignored.
    if (!isBinary && clientMessage.safeParse(parseJson(data.toString())).success) void this.send(client, JSON.stringify({ type: 'pong' }));
  }

  private forget(client: Client): void {
    const set = this.byUser.get(client.user.id);
    if (!set) return;
    set.delete(client);
    if (!set.size) this.byUser.delete(client.user.id);
  }

  private send(client: Client, text: string): Promise<boolean> {
    const ws = client.socket;
    if (ws.readyState !== ws.OPEN) return Promise.resolve(false);
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.o.logger.warn({ user: client.user.id, buffered: ws.bufferedAmount }, 'dropping a websocket that does not read what it is sent');
      ws.terminate();
      return Promise.resolve(false);
    }
    return new Promise((resolve) => ws.send(text, (e) => resolve(!e)));
  }

  /** Pings every authenticated socket; one that missed `maxMissedPongs` in a row is dropped. */
  private heartbeat(): void {
    for (const c of this.clients()) {
      if (c.missed >= this.o.maxMissedPongs) {
        this.o.logger.debug({ user: c.user.id }, 'dropping a websocket that stopped answering pings');
        c.socket.terminate();
        continue;
      }
      c.missed++;
      c.socket.ping();
    }
  }

  /**
   * Checks every socket's token again with the host's own check, so a revoked PAT, a
   * deactivated user or an expired session loses its sockets within one interval.
   */
  private recheck(): void {
    for (const c of this.clients()) {
      try {
        c.user = this.o.verify(c.token, c.ip);
      } catch (e) {
        const reason = e instanceof AuthenticationError ? e.message : 'the token could not be checked';
        c.socket.close(CLOSE.unauthenticated, closeReason(`authentication ended: ${reason}`));
        this.forget(c);
      }
    }
  }
}

/** Closes `ws`, and cuts it off when the peer has not answered within `ms`; resolves once it is closed. */
function closeWithin(ws: WebSocket, ms: number, code: number, reason: string): Promise<void> {
  return new Promise<void>((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    const cut = setTimeout(() => ws.terminate(), ms);
    cut.unref();
    ws.once('close', () => {
      clearTimeout(cut);
      resolve();
    });
    ws.close(code, reason);
  });
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
