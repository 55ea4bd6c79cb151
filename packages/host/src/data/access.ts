import { type Role } from '@aida/core';
import { TableForbiddenError } from '../errors.js';
import type { Permissions } from '../identity/permissions.js';
import type { TableRegistry } from './registry.js';

export interface Reader {
  id: string;
  role: Role;
}

/**
 * Who may read which table: admin, a public table, a grant on the table, or a grant on
 * `<bucket>.*`. Everything here is in memory; this is called for every catalog row,
 * manifest entry, download and every table a query touches.
 */
export class TableAccess {
  constructor(
    private readonly registry: TableRegistry,
    private readonly permissions: Permissions,
  ) {}

  canRead(user: Reader, table: string): boolean {
    const e = this.registry.get(table);
    return this.permissions.canRead(user, table.toLowerCase(), e ? { is_public: e.is_public, bucket: e.bucket } : undefined);
  }

  /**
   * Throws 403 naming the table and how to get access. The same answer for a table that does
   * not exist, so a private table's name cannot be probed.
   */
  assertCanRead(user: Reader, table: string): void {
    if (!this.canRead(user, table)) {
      throw new TableForbiddenError(`You cannot read table '${table}': it does not exist or you have no access to it (GET /api/catalog/tables lists yours; ask for access with POST /api/access-requests)`, {
        detail: { table },
      });
    }
  }
}
