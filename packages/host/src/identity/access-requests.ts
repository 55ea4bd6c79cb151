import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, type Role } from '@aida/core';
import { AlreadyReadableError, RequestPendingError, TableNotFoundError } from '../errors.js';
import type { Page } from '../http/paging.js';
import type { SystemDb } from '../state/system-db.js';

export interface AccessRequest {
  id: string;
  user_id: string;
  table_id: string;
  reason: string | null;
  status: 'pending' | 'approved' | 'denied';
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
}

/** What a request needs to know about tables: which exist (the registry) and who reads them. */
export interface RequestableTables {
  get(id: string): { id: string } | undefined;
  canRead(user: { id: string; role: Role }, id: string): boolean;
}

/** The self-service access request workflow: request, then an admin approves (grants read) or denies. */
export class AccessRequests {
  constructor(private readonly db: SystemDb) {}

  /**
   * A pending request for a table the requester cannot read yet. An unknown table is a 404 and
   * one they already read a 409: either would sit pending for nothing, and approving it would
   * grant nothing useful. Ids are the registry's, so `Orders` and `orders` are one request.
   */
  async create(requester: { id: string; role: Role }, tableId: string, reason: string | undefined, tables: RequestableTables): Promise<AccessRequest> {
    const table = tables.get(tableId.trim());
    if (!table) throw new TableNotFoundError(`No table '${tableId}' is registered; GET /api/catalog/tables lists the tables you can read`);
    if (tables.canRead(requester, table.id)) throw new AlreadyReadableError(`You can already read '${table.id}'`);
    const pending = await this.db.all('SELECT id FROM access_requests WHERE user_id = ? AND table_id = ? AND status = ?', [requester.id, table.id, 'pending']);
    if (pending.length) throw new RequestPendingError(`You already have a pending request for ${table.id}`);
    const r: AccessRequest = {
      id: randomUUID(),
      user_id: requester.id,
      table_id: table.id,
      reason: reason ?? null,
      status: 'pending',
      created_at: new Date(),
      decided_by: null,
      decided_at: null,
    };
    await this.db.run('INSERT INTO access_requests (id, user_id, table_id, reason, status, created_at) VALUES (?, ?, ?, ?, ?, ?::TIMESTAMP)', [
      r.id,
      r.user_id,
      r.table_id,
      r.reason,
      r.status,
      r.created_at.toISOString(),
    ]);
    return r;
  }

  /** The user's own requests, newest first, one page of them. */
  mine(userId: string, page: Page): Promise<{ items: AccessRequest[]; total: number }> {
    return this.page('user_id = ?', [userId], 'created_at DESC', page);
  }

  /** Requests waiting for an admin, oldest first (the order they should be decided in). */
  pending(page: Page): Promise<{ items: AccessRequest[]; total: number }> {
    return this.page('status = ?', ['pending'], 'created_at', page);
  }

  /** Marks a pending request decided; 404 for an unknown one, 409 for one already decided. */
  async decide(id: string, status: 'approved' | 'denied', by: string): Promise<AccessRequest> {
    const [r] = await this.db.all<AccessRequest>('SELECT * FROM access_requests WHERE id = ?', [id]);
    if (!r) throw new NotFoundError(`No access request with id ${id}`);
    if (r.status !== 'pending') throw new ConflictError(`This request was already ${r.status}`);
    const at = new Date();
    await this.db.run('UPDATE access_requests SET status = ?, decided_by = ?, decided_at = ?::TIMESTAMP WHERE id = ?', [status, by, at.toISOString(), id]);
    return { ...r, status, decided_by: by, decided_at: at };
  }

  private async page(where: string, params: string[], order: string, page: Page): Promise<{ items: AccessRequest[]; total: number }> {
    const [{ n }] = await this.db.all<{ n: number }>(`SELECT count(*) AS n FROM access_requests WHERE ${where}`, params);
    const items = await this.db.all<AccessRequest>(`SELECT * FROM access_requests WHERE ${where} ORDER BY ${order}, id LIMIT ? OFFSET ?`, [
      ...params,
      page.limit,
      page.offset,
    ]);
    return { items, total: Number(n) };
  }
}
