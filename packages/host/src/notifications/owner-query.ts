// Queries that alerts and scripts run on a user's behalf, long after the user asked for them:
// the query sandbox of POST /api/query (parse-tree check, read access on every table, the
// read-only engine, time budget and slots), with the permissions the owner has *now*.
import { NotAllowedError } from '@aida/core';
import type { QueryRunner } from '../data/query/runner.js';
import type { UsersRepository } from '../identity/users.js';
import { splitQueryAnswer } from '../mcp/json-rows.js';

export interface OwnerRows {
  columns: { name: string; type: string }[];
  /** Rows as plain JSON values (DECIMALs and big integers as strings, timestamps as ISO text). */
  rows: unknown[][];
  /** More rows exist than `limit`. */
  truncated: boolean;
}

export class OwnerQueries {
  constructor(private readonly d: { runner: QueryRunner; users: UsersRepository }) {}

  /**
   * Runs one SELECT as `userId`. A deactivated or deleted owner is refused (403), a table the
   * owner can no longer read is refused by the sandbox (403 naming it), like the owner's own call.
   */
  async rows(userId: string, sql: string, opts: { limit: number; signal?: AbortSignal }): Promise<OwnerRows> {
    const owner = this.d.users.get(userId);
    if (!owner?.active) throw new NotAllowedError("The owner's account is deactivated or deleted: its queries no longer run");
    const answer = splitQueryAnswer(await this.d.runner.json({ id: owner.id, role: owner.role }, sql, opts.limit, opts.signal));
    return { columns: answer.columns, rows: answer.rows.map((r) => JSON.parse(r) as unknown[]), truncated: answer.truncated };
  }
}
