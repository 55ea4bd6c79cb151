import { randomUUID } from 'node:crypto';
import { ConflictError, InputError, NotFoundError } from '@aida/core';
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

/** The self-service access request workflow: request, then an admin approves (grants read) or denies. */
export class AccessRequests {
  constructor(private readonly db: SystemDb) {}

  async create(userId: string, tableId: unknown, reason: unknown): Promise<AccessRequest> {
    if (typeof tableId !== 'string' || !tableId.trim()) throw new InputError('table_id is required');
    const pending = await this.db.all('SELECT id FROM access_requests WHERE user_id = ? AND table_id = ? AND status = ?', [userId, tableId, 'pending']);
    if (pending.length) throw new ConflictError(`You already have a pending request for ${tableId}`);
    const r: AccessRequest = {
      id: randomUUID(), user_id: userId, table_id: tableId, reason: typeof reason === 'string' ? reason : null,
      status: 'pending', created_at: new Date(), decided_by: null, decided_at: null,
    };
    await this.db.run('INSERT INTO access_requests (id, user_id, table_id, reason, status, created_at) VALUES (?, ?, ?, ?, ?, ?::TIMESTAMP)', [
      r.id, r.user_id, r.table_id, r.reason, r.status, r.created_at.toISOString(),
    ]);
    return r;
  }

  mine(userId: string): Promise<AccessRequest[]> {
    return this.db.all<AccessRequest>('SELECT * FROM access_requests WHERE user_id = ? ORDER BY created_at DESC', [userId]);
  }

  pending(): Promise<AccessRequest[]> {
    return this.db.all<AccessRequest>(`SELECT * FROM access_requests WHERE status = 'pending' ORDER BY created_at`);
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
}
