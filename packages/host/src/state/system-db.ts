import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, LIST, listValue, VARCHAR, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { plainValue, SerialQueue, type PlainValue, type SqlStatements } from '@aida/core';
import { DataDirInUseError } from '../errors.js';

/** The `?` values of a system-database statement: DuckDB's values, or lists of text (`?::VARCHAR[]`). */
export type SqlParams = NonNullable<Parameters<SqlStatements['run']>[1]>;

/** A statement runner handed to transactions; the same methods as SystemDb minus `transaction`. */
export interface SqlRunner {
  all<T = Record<string, PlainValue>>(sql: string, params?: SqlParams): Promise<T[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: SqlParams): Promise<number>;
}

/** A runner whose statements run one at a time, with transactions that own it while they run. */
export interface SerialSql extends SqlRunner {
  /** Runs `fn` inside BEGIN/COMMIT with exclusive use of the connection; rolls back if it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

/**
 * A query's rows as plain values (BIGINTs that fit as numbers), except BLOBs, which stay the
 * bytes they are (a Uint8Array), as PostgreSQL's BYTEA comes back: a store reads both the same.
 */
export async function readRows<T>(conn: DuckDBConnection, sql: string, params?: SqlParams): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql, ...duckParams(params));
  return reader.getRowObjectsJS().map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) out[k] = v instanceof Uint8Array ? v : plainValue(v);
    return out as T;
  });
}

async function runStatement(conn: DuckDBConnection, sql: string, params?: SqlParams): Promise<number> {
  return Number((await conn.run(sql, ...duckParams(params))).rowsChanged);
}

/**
 * The values as DuckDB binds them, and the types of those it cannot infer: a JS list of text
 * becomes a LIST typed VARCHAR[] (an empty one has no item type to infer).
 */
function duckParams(params: SqlParams | undefined): [DuckDBValue[]?, DuckDBType[]?] {
  if (!params) return [];
  if (!params.some((p) => Array.isArray(p))) return [params as DuckDBValue[]];
  const types: DuckDBType[] = [];
  const values = params.map((p, i) => {
    if (!Array.isArray(p)) return p as DuckDBValue;
    types[i] = LIST(VARCHAR);
    return listValue(p as readonly string[]);
  });
  return [values, types];
}

/**
 * One DuckDB connection and the queue in front of it: statements run in the order they
 * were asked for, and a transaction never interleaves with another caller's statements.
 */
class SerialConnection implements SerialSql {
  private readonly queue = new SerialQueue();
  private closed = false;

  constructor(private readonly conn: DuckDBConnection) {}

  all<T = Record<string, PlainValue>>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.enqueue(() => readRows<T>(this.conn, sql, params));
  }

  run(sql: string, params?: SqlParams): Promise<number> {
    return this.enqueue(() => runStatement(this.conn, sql, params));
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      const tx: SqlRunner = {
        all: (sql, params) => readRows(this.conn, sql, params),
        run: (sql, params) => runStatement(this.conn, sql, params),
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

  /** Waits for queued statements, runs `last` (if given) as the final one, and closes. */
  async close(last?: (conn: DuckDBConnection) => Promise<unknown>): Promise<void> {
    if (this.closed) return;
    await this.enqueue(async () => {
      await last?.(this.conn).catch(() => undefined);
    });
    this.closed = true;
    this.conn.closeSync();
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('system database is closed'));
    return this.queue.run(task);
  }
}

/** Where the system tables live: `state/system.duckdb` (embedded) or PostgreSQL (`state.backend`). */
export type StateDialect = 'duckdb' | 'postgres';

/**
 * The system database every repository of the host and its plugins runs on. Its SQL is the
 * dialect DuckDB and PostgreSQL share (`?` parameters, `ON CONFLICT … DO UPDATE`, `?::TIMESTAMP`
 * casts); the few differences are the backends' business (postgres-sql.ts).
 */
export interface SystemDb extends SerialSql {
  readonly dialect: StateDialect;
  /** The file, or the server (password hidden) and schema: for messages and logs. */
  readonly path: string;
  /** A second connection with its own queue, for a user with many small statements of its own. */
  lane(name: string): Promise<SerialSql>;
  /** Waits for queued statements and closes. */
  close(): Promise<void>;
}

/**
 * `state/system.duckdb`. DuckDB allows one writing process per file; inside it, every
 * statement of the host goes through one connection and its queue, so writes are
 * serialised and a transaction never interleaves with another caller's statements.
 *
 * A user with many small statements of its own (the job repository polls and saves
 * locks all the time) asks for a `lane`: a second connection on the same database with
 * its own queue, so neither side waits behind the other. DuckDB's MVCC keeps the two
 * consistent; they must not write the same rows, which holds while each table has one
 * owner (the jobs table is the job repository's).
 */
/** What both backends share: the host's own statements go to one queued connection. */
export abstract class MainConnectionDb implements SerialSql {
  protected abstract readonly main: SerialSql;

  all<T = Record<string, PlainValue>>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.main.all<T>(sql, params);
  }

  run(sql: string, params?: SqlParams): Promise<number> {
    return this.main.run(sql, params);
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.main.transaction(fn);
  }
}

export class DuckDbSystemDb extends MainConnectionDb implements SystemDb {
  readonly dialect = 'duckdb' as const;
  protected readonly main: SerialConnection;
  private readonly lanes = new Map<string, Promise<SerialConnection>>();
  private closing: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    conn: DuckDBConnection,
  ) {
    super();
    this.main = new SerialConnection(conn);
  }

  static async open(path: string): Promise<DuckDbSystemDb> {
    await mkdir(dirname(path), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (e) {
      const msg = (e as Error).message;
      if (/Could not set lock|Conflicting lock/i.test(msg)) {
        const pid = /PID (\d+)/.exec(msg)?.[1];
        throw new DataDirInUseError(
          `${path} is open in another process${pid ? ` (PID ${pid})` : ''}: only one AIDA host may use a data directory; stop the other one or point AIDA_DATA_DIR elsewhere`,
        );
      }
      throw e;
    }
    const conn = await instance.connect();
    return new DuckDbSystemDb(path, instance, conn);
  }

  /**
   * The connection named `name`, opened on first use and shared by every caller that asks
   * for the same name (so their statements stay serialised among themselves).
   */
  lane(name: string): Promise<SerialSql> {
    if (this.closing) return Promise.reject(new Error('system database is closed'));
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = this.instance.connect().then((conn) => new SerialConnection(conn));
      this.lanes.set(name, lane);
    }
    return lane;
  }

  /** Waits for queued statements on every connection, checkpoints and closes the file. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const lane of this.lanes.values()) {
        const conn = await lane.catch(() => undefined); // one that never opened has nothing to close
        await conn?.close();
      }
      await this.main.close((conn) => conn.run('CHECKPOINT'));
      this.instance.closeSync();
    })();
    return this.closing;
  }
}
