import type { DataFreshness, TableFreshness } from '@aida/core';
import type { TableAccess } from '../data/access.js';
import type { TableRegistry } from '../data/registry.js';
import type { UsersRepository } from '../identity/users.js';
import type { SyncRepository } from '../state/repositories/sync.js';

/** Core's `DataFreshness`: the registry's tables the user may read, with what the last sync left. */
export class RegistryFreshness implements DataFreshness {
  constructor(private readonly d: { users: UsersRepository; registry: TableRegistry; access: TableAccess; sync: SyncRepository }) {}

  async forUser(userId: string): Promise<TableFreshness[]> {
    const user = this.d.users.get(userId);
    if (!user?.active) return [];
    const states = new Map((await this.d.sync.states()).map((s) => [s.table_id, s]));
    return this.d.registry
      .list()
      .filter((e) => this.d.access.canRead(user, e.id))
      .map((e) => {
        const s = states.get(e.id);
        return {
          table: e.id,
          source: s?.source ?? e.source_type ?? 'unknown',
          lastSyncAt: s?.last_sync ?? null,
          rows: s ? s.rows : null,
          status: s?.status ?? 'never',
        };
      });
  }
}
