import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { queryRows, StartupError, type PlainValue, type SqlParams } from '@aida/core';

/** A statement runner handed to transactions; the same methods as SystemDb minus `transaction`. */
export interface SqlRunner {
  all<T = Record<string, PlainValue>>(sql: string, params?: SqlParams): Promise<T[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: SqlParams): Promise<number>;
}

/**
 * `state/system.duckdb` on one connection. DuckDB allows one writer per file, so every
 * statement goes through a single queue: writes are serialised and a transaction never
 * interleaves with another caller's statements.
 */
export class SystemDb implements SqlRunner {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(path: string): Promise<SystemDb> {
    await mkdir(dirname(path), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (e) {
      const msg = (e as Error).message;
      if (/Could not set lock|Conflicting lock/i.test(msg)) {
        const pid = /PID (\d+)/.exec(msg)?.[1];
        throw new StartupError(
          'AIDA_DATA_DIR_IN_USE',
          `${path} is open in another process${pid ? ` (PID ${pid})` : ''}: only one AIDA host may use a data directory; stop the other one or point AIDA_DATA_DIR elsewhere`,
        );
      }
      throw e;
    }
    const conn = await instance.connect();
    return new SystemDb(path, instance, conn);
  }

  all<T = Record<string, PlainValue>>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.enqueue(() => queryRows<T>(this.conn, sql, params));
  }

  run(sql: string, params?: SqlParams): Promise<number> {
    return this.enqueue(async () => Number((await this.conn.run(sql, params)).rowsChanged));
  }

  /** Runs `fn` inside BEGIN/COMMIT with exclusive use of the connection; rolls back if it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      const tx: SqlRunner = {
        all: (sql, params) => queryRows(this.conn, sql, params),
        run: async (sql, params) => Number((await this.conn.run(sql, params)).rowsChanged),
      };
      await this.conn.run('BEGIN TRANSACTION');
      try {
        const out = await fn(tx);
        await this.conn.run('COMMIT');
        return out;
      } catch (e) {
        await this.conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** Waits for queued statements, checkpoints and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.enqueue(async () => {
      await this.conn.run('CHECKPOINT').catch(() => undefined);
    });
    this.closed = true;
    this.conn.closeSync();
    this.instance.closeSync();
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('system database is closed'));
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
