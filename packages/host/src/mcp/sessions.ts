// The MCP sessions /mcp holds: each is the SDK's Streamable HTTP transport and the session's
// server, owned by the user who initialized it. Bounded in number (all, and per user) and in
// idle time, so agents that never say goodbye cannot pile them up.
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from 'pino';
import { McpSessionsFullError } from '../errors.js';

export interface McpSession {
  id: string;
  userId: string;
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastUsed: number;
}

export interface SessionLimits {
  max: number;
  perUser: number;
  idleMs: number;
}

export class McpSessions {
  private readonly sessions = new Map<string, McpSession>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limits: SessionLimits,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.expire(), Math.min(limits.idleMs, 60_000));
    this.timer.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session, if it exists and is the caller's; using it keeps it alive. */
  get(id: string, userId: string): McpSession | undefined {
    const s = this.sessions.get(id);
    if (!s || s.userId !== userId) return undefined;
    s.lastUsed = Date.now();
    return s;
  }

  /**
   * A transport and server for a new session; the session is held once the SDK has answered the
   * initialize request (onsessioninitialized). Room is made first: idle sessions end, then the
   * user's least recently used one if they hold their share; a full server refuses (503).
   */
  async open(userId: string, server: McpServer): Promise<StreamableHTTPServerTransport> {
    await this.expire();
    const mine = [...this.sessions.values()].filter((s) => s.userId === userId).sort((a, b) => a.lastUsed - b.lastUsed);
    if (mine.length >= this.limits.perUser) await this.end(mine[0]!.id, 'the user opened more sessions than they may hold');
    if (this.sessions.size >= this.limits.max) throw new McpSessionsFullError();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Answers are JSON, not event streams: no tool sends anything before its result.
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        this.sessions.set(id, { id, userId, transport, server, lastUsed: Date.now() });
      },
      onsessionclosed: (id) => {
        this.sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport;
  }

  /** Ends a session: its transport and server close, a later request with its id gets 404. */
  async end(id: string, why: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.logger.debug({ session: id, user_id: s.userId }, `MCP session ended: ${why}`);
    await s.server.close().catch((e: unknown) => this.logger.warn({ err: e }, 'closing an MCP session failed'));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    for (const id of [...this.sessions.keys()]) await this.end(id, 'the host stops');
  }

  private async expire(): Promise<void> {
    const cutoff = Date.now() - this.limits.idleMs;
    for (const s of [...this.sessions.values()]) if (s.lastUsed < cutoff) await this.end(s.id, 'idle');
  }
}
