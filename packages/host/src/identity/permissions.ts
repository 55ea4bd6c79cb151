import { InputError, type Role } from '@aida/core';
import { LocalChanges, reloadOnChange, type StateChanges } from '../state/changes.js';
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
 * admin, the table is public, a grant names the table, or a grant names `<bucket>.*`. A change
 * is announced to the other hosts (`changes`, keyed by the user), which reload that user's grants.
 */
export class Permissions {
  private readonly byUser = new Map<string, Map<string, Grant>>();
  private version = 0;

  /** Bumped on every change, so caches of what users may read know when to rebuild. */
  get changeVersion(): number {
    return this.version;
  }

  constructor(
    private readonly db: SystemDb,
    private readonly changes: StateChanges = new LocalChanges(),
  ) {
    reloadOnChange(changes, 'permissions', { one: (userId) => this.reloadUser(userId), all: () => this.load() });
  }

  async load(): Promise<void> {
    const rows = await this.db.all<Grant>('SELECT user_id, dataset, access, granted_by, granted_at FROM dataset_permissions');
    // Swapped in one step: a request meanwhile sees the old grants, never none.
    this.byUser.clear();
    for (const g of rows) this.put(g);
    this.version++;
  }

  /** Reads one user's grants again (another host changed them). */
  async reloadUser(userId: string): Promise<void> {
    const rows = await this.db.all<Grant>('SELECT user_id, dataset, access, granted_by, granted_at FROM dataset_permissions WHERE user_id = ?', [userId]);
    this.byUser.delete(userId);
    for (const g of rows) this.put(g);
    this.version++;
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
    await this.db.run(
      `INSERT INTO dataset_permissions (user_id, dataset, access, granted_by, granted_at) VALUES (?, ?, ?, ?, ?::TIMESTAMP)
       ON CONFLICT (user_id, dataset) DO UPDATE SET access = excluded.access, granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
      [userId, dataset, access, by, g.granted_at!.toISOString()],
    );
    this.put(g);
    this.changes.publish({ topic: 'permissions', key: userId });
    return g;
  }

  async remove(userId: string, dataset: string): Promise<boolean> {
    const n = await this.db.run('DELETE FROM dataset_permissions WHERE user_id = ? AND dataset = ?', [userId, dataset]);
    this.byUser.get(userId)?.delete(dataset);
    this.version++;
    this.changes.publish({ topic: 'permissions', key: userId });
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
