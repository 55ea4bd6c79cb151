import { InputError, type Role } from '@aida/core';
import type { SystemDb } from '../state/system-db.js';

export interface Grant {
  user_id: string;
  dataset: string;
  access: 'read' | 'none';
  granted_by: string | null;
  granted_at: Date | null;
}

/** What the access rule needs to know about a table. */
export interface TableFacts {
  is_public: boolean;
  bucket: string | null;
}

const DATASET = /^([a-zA-Z_][a-zA-Z0-9_]{0,63}|[A-Za-z0-9_.-]{1,128}\.\*)$/;

/**
 * Dataset grants, in memory and written through. A user may read a table when they are
 * admin, the table is public, a grant names the table, or a grant names `<bucket>.*`.
 */
export class Permissions {
  private readonly byUser = new Map<string, Map<string, Grant>>();
  private version = 0;

  /** Bumped on every change, so caches of what users may read know when to rebuild. */
  get changeVersion(): number {
    return this.version;
  }

  constructor(private readonly db: SystemDb) {}

  async load(): Promise<void> {
    this.byUser.clear();
    for (const g of await this.db.all<Grant>('SELECT user_id, dataset, access, granted_by, granted_at FROM dataset_permissions')) this.put(g);
  }

  canRead(user: { id: string; role: Role }, table: string, facts: TableFacts | undefined): boolean {
    if (user.role === 'admin') return true;
    // A table nobody registered is readable by no one but admins, so "unknown" and "private"
    // look the same from outside (403 either way: no existence oracle).
    if (!facts) return false;
    if (facts.is_public) return true;
    const grants = this.byUser.get(user.id);
    if (!grants) return false;
    if (grants.get(table)?.access === 'read') return true;
    return facts.bucket ? grants.get(`${facts.bucket}.*`)?.access === 'read' : false;
  }

  list(userId?: string): Grant[] {
    const all = userId ? [...(this.byUser.get(userId)?.values() ?? [])] : [...this.byUser.values()].flatMap((m) => [...m.values()]);
    return all.sort((a, b) => a.user_id.localeCompare(b.user_id) || a.dataset.localeCompare(b.dataset));
  }

  async set(userId: string, dataset: string, access: 'read' | 'none', by: string): Promise<Grant> {
    if (!DATASET.test(dataset)) throw new InputError(`dataset must be a table id or '<bucket>.*', got ${JSON.stringify(dataset)}`, { field: 'dataset' });
    if (access !== 'read' && access !== 'none') throw new InputError(`access must be 'read' or 'none'`, { field: 'access' });
    const g: Grant = { user_id: userId, dataset, access, granted_by: by, granted_at: new Date() };
    await this.db.run('INSERT OR REPLACE INTO dataset_permissions (user_id, dataset, access, granted_by, granted_at) VALUES (?, ?, ?, ?, ?::TIMESTAMP)', [
      userId,
      dataset,
      access,
      by,
      g.granted_at!.toISOString(),
    ]);
    this.put(g);
    return g;
  }

  async remove(userId: string, dataset: string): Promise<boolean> {
    const n = await this.db.run('DELETE FROM dataset_permissions WHERE user_id = ? AND dataset = ?', [userId, dataset]);
    this.byUser.get(userId)?.delete(dataset);
    this.version++;
    return n > 0;
  }

  forgetUser(userId: string): void {
    this.byUser.delete(userId);
    this.version++;
  }

  private put(g: Grant): void {
    this.version++;
    let m = this.byUser.get(g.user_id);
    if (!m) this.byUser.set(g.user_id, (m = new Map()));
    m.set(g.dataset, g);
  }
}
