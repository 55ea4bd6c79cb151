import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { SerialQueue } from '@aida/core';
import type { SystemDb } from '../state/system-db.js';

declare module 'koa' {
  interface DefaultState {
    /** Bytes the call had a source scan (queries at a source), for its audit row; set with auditBytes. */
    auditBytes?: number;
  }
}

export interface AuditRow {
  id: string;
  timestamp: Date;
  user_id: string | null;
  action: string;
  resource: string;
  status: number;
  duration_ms: number;
  request_id: string;
  /** Bytes a source scanned for the call (queries at a source), else null. */
  bytes_scanned: number | null;
}

/** Adds `bytes` to what the call's audit row says a source scanned (each part of a hybrid query adds its own). */
export function auditBytes(state: { auditBytes?: number }, bytes: number): void {
  state.auditBytes = (state.auditBytes ?? 0) + bytes;
}

export interface AuditFilter {
  user_id?: string;
  action?: string;
  since?: Date;
  until?: Date;
  limit: number;
  offset: number;
}

/**
 * The audit log: a row per API call, buffered in memory and written in batches (one insert
 * per flush), so auditing never adds a database write to a request's path.
 */
export class AuditLog {
  private buffer: AuditRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly flushes = new SerialQueue();

  constructor(
    private readonly db: SystemDb,
    private readonly logger: Logger,
    private readonly flushEveryMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  record(row: Omit<AuditRow, 'id' | 'bytes_scanned'> & { bytes_scanned?: number | null }): void {
    this.buffer.push({ id: randomUUID(), ...row, bytes_scanned: row.bytes_scanned ?? null });
    if (this.buffer.length >= 1000) void this.flush();
  }

  /** Writes what is buffered; queued behind any flush in progress. */
  flush(): Promise<void> {
    return this.flushes.run(async () => {
      const rows = this.buffer;
      if (!rows.length) return;
      this.buffer = [];
      try {
        for (let i = 0; i < rows.length; i += 200) {
          const chunk = rows.slice(i, i + 200);
          await this.db.run(
            `INSERT INTO audit_log (id, timestamp, user_id, action, resource, status, duration_ms, request_id, bytes_scanned) VALUES ${chunk.map(() => '(?, ?::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
            chunk.flatMap((r) => [
              r.id,
              r.timestamp.toISOString(),
              r.user_id,
              r.action,
              r.resource,
              r.status,
              Math.round(r.duration_ms),
              r.request_id,
              r.bytes_scanned,
            ]),
          );
        }
      } catch (e) {
        this.logger.error({ err: e, rows: rows.length }, 'writing audit rows failed');
      }
    });
  }

  async query(f: AuditFilter): Promise<{ items: AuditRow[]; total: number }> {
    await this.flush();
    const where = `WHERE (?::VARCHAR IS NULL OR user_id = ?) AND (?::VARCHAR IS NULL OR action = ?)
      AND (?::TIMESTAMP IS NULL OR timestamp >= ?::TIMESTAMP) AND (?::TIMESTAMP IS NULL OR timestamp <= ?::TIMESTAMP)`;
    const since = f.since?.toISOString() ?? null;
    const until = f.until?.toISOString() ?? null;
    const params = [f.user_id ?? null, f.user_id ?? null, f.action ?? null, f.action ?? null, since, since, until, until];
    const [{ n }] = await this.db.all<{ n: number }>(`SELECT count(*) AS n FROM audit_log ${where}`, params);
    const items = await this.db.all<AuditRow>(
      `SELECT id, timestamp, user_id, action, resource, status, duration_ms, request_id, bytes_scanned FROM audit_log ${where} ORDER BY timestamp DESC, id LIMIT ? OFFSET ?`,
      [...params, f.limit, f.offset],
    );
    return { items, total: n };
  }
}

/** Records every /api, /auth and /webhooks call, and every portal form post, once it has an answer (including errors). */
export function auditMiddleware(log: AuditLog): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      if (/^\/(api|auth|webhooks)\//.test(ctx.path) || !['GET', 'HEAD', 'OPTIONS'].includes(ctx.method)) {
        const route = (ctx as { _matchedRoute?: string })._matchedRoute;
        log.record({
          timestamp: new Date(),
          user_id: ctx.state.user?.id ?? null,
          action: `${ctx.method} ${typeof route === 'string' ? route : ctx.path}`,
          resource: ctx.path,
          status: ctx.status,
          duration_ms: performance.now() - started,
          request_id: ctx.state.requestId,
          bytes_scanned: ctx.state.auditBytes ?? null,
        });
      }
    }
  };
}
