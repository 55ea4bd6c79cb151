// Where the query tool keeps a result it pages by cursor. One host (state on DuckDB): in this
// process, as `da mcp` does (@aida/core's ResultPages). Several hosts (state on PostgreSQL): in
// the system database, since the agent's next page may be asked of another host. The same
// limits either way: MCP_RESULTS_KEPT results, twice MCP_PAGED_MAX_CHARS of rows, dropped
// MCP_RESULT_TTL_MS after their last read; the least recently read go first.
import { randomBytes } from 'node:crypto';
import { MCP_PAGED_MAX_CHARS, MCP_RESULT_TTL_MS, MCP_RESULTS_KEPT, ResultPages, type QueryRows } from '@aida/core';
import type { SystemDb, SqlRunner } from '../state/system-db.js';

export interface KeptResults {
  /** A fresh id for a result that may be kept (cursors name it before it is kept). */
  newKey(): string;
  keep(key: string, result: QueryRows): Promise<void>;
  /**
   * The result kept under `key`, as far as a page from `offset` within `budget` characters
   * needs it (its other rows may be absent), or undefined when it expired or was never kept.
   */
  page(key: string, offset: number, budget: number): Promise<QueryRows | undefined>;
}

export class MemoryResultPages implements KeptResults {
  constructor(private readonly pages = new ResultPages()) {}

  newKey(): string {
    return this.pages.newKey();
  }

  keep(key: string, result: QueryRows): Promise<void> {
    this.pages.keep(key, result);
    return Promise.resolve();
  }

  page(key: string): Promise<QueryRows | undefined> {
    return Promise.resolve(this.pages.get(key));
  }
}

/** Characters of rows per stored chunk: a page reads the one or few chunks it shows, not the whole result. */
const CHUNK_CHARS = 256_000;

export interface SharedResultPagesOptions {
  maxResults?: number;
  maxChars?: number;
  ttlMs?: number;
}

interface KeptRow {
  result_key: string;
  chars: number | string;
  used_at: Date;
}

export class SharedResultPages implements KeptResults {
  private readonly maxResults: number;
  private readonly maxChars: number;
  private readonly ttlMs: number;

  constructor(
    private readonly db: SystemDb,
    o: SharedResultPagesOptions = {},
  ) {
    this.maxResults = o.maxResults ?? MCP_RESULTS_KEPT;
    this.maxChars = o.maxChars ?? 2 * MCP_PAGED_MAX_CHARS;
    this.ttlMs = o.ttlMs ?? MCP_RESULT_TTL_MS;
  }

  newKey(): string {
    return randomBytes(12).toString('base64url');
  }

  async keep(key: string, result: QueryRows): Promise<void> {
    const chars = result.rows.reduce((sum, r) => sum + r.length, 0);
    const now = new Date();
    await this.db.transaction(async (tx) => {
      await this.makeRoom(tx, chars, now);
      await tx.run('INSERT INTO mcp_result_pages (result_key, columns, total_rows, chars, used_at) VALUES (?, ?, ?, ?, ?::TIMESTAMP)', [
        key,
        JSON.stringify(result.columns),
        result.rows.length,
        chars,
        now.toISOString(),
      ]);
      for (const chunk of chunksOf(result.rows)) {
        await tx.run('INSERT INTO mcp_result_chunks (result_key, first_row, row_count, chars, row_texts) VALUES (?, ?, ?, ?, ?)', [
          key,
          chunk.first,
          chunk.rows.length,
          chunk.chars,
          JSON.stringify(chunk.rows),
        ]);
      }
    });
  }

  async page(key: string, offset: number, budget: number): Promise<QueryRows | undefined> {
    const now = new Date();
    const [kept] = await this.db.all<{ columns: string; total_rows: number }>(
      'SELECT columns, total_rows FROM mcp_result_pages WHERE result_key = ? AND used_at >= ?::TIMESTAMP',
      [key, new Date(now.getTime() - this.ttlMs).toISOString()],
    );
    if (!kept) return undefined;
    await this.db.run('UPDATE mcp_result_pages SET used_at = ?::TIMESTAMP WHERE result_key = ?', [now.toISOString(), key]);
    // Every chunk but the last holds at least CHUNK_CHARS: the first (partly before `offset`) and enough after it to fill the budget.
    const chunks = await this.db.all<{ first_row: number; row_texts: string }>(
      'SELECT first_row, row_texts FROM mcp_result_chunks WHERE result_key = ? AND first_row + row_count > ? ORDER BY first_row LIMIT ?',
      [key, offset, Math.ceil(budget / CHUNK_CHARS) + 1],
    );
    // The rows a page from `offset` can reach, at their places; fitPage stops before the budget runs past them.
    const rows = new Array<string>(Number(kept.total_rows));
    for (const c of chunks) (JSON.parse(c.row_texts) as string[]).forEach((r, i) => (rows[Number(c.first_row) + i] = r));
    return { columns: JSON.parse(kept.columns) as QueryRows['columns'], rows };
  }

  /** Drops expired results, then the least recently read until `chars` more fit. */
  private async makeRoom(tx: SqlRunner, chars: number, now: Date): Promise<void> {
    const cutoff = now.getTime() - this.ttlMs;
    const kept = await tx.all<KeptRow>('SELECT result_key, chars, used_at FROM mcp_result_pages ORDER BY used_at DESC');
    let count = 0;
    let total = chars;
    const drop: string[] = [];
    for (const k of kept) {
      const fits = new Date(k.used_at).getTime() >= cutoff && count + 1 < this.maxResults && total + Number(k.chars) <= this.maxChars;
      if (!fits) {
        drop.push(k.result_key);
        continue;
      }
      count++;
      total += Number(k.chars);
    }
    for (const key of drop) {
      await tx.run('DELETE FROM mcp_result_chunks WHERE result_key = ?', [key]);
      await tx.run('DELETE FROM mcp_result_pages WHERE result_key = ?', [key]);
    }
  }
}

function* chunksOf(rows: readonly string[]): Generator<{ first: number; rows: string[]; chars: number }> {
  let first = 0;
  let chunk: string[] = [];
  let chars = 0;
  for (let i = 0; i < rows.length; i++) {
    chunk.push(rows[i]);
    chars += rows[i].length;
    if (chars >= CHUNK_CHARS) {
      yield { first, rows: chunk, chars };
      first = i + 1;
      chunk = [];
      chars = 0;
    }
  }
  if (chunk.length) yield { first, rows: chunk, chars };
}
