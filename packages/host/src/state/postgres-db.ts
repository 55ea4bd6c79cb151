import { DuckDBArrayValue, DuckDBBlobValue, DuckDBListValue } from '@duckdb/node-api';
import { SerialQueue, plainValue, type PlainValue } from '@aida/core';
import type { ClientBase, Pool, PoolClient } from 'pg';
import { redactUrl } from '../jobs/backends.js';
import { StateBackendUnavailableError } from '../errors.js';
import { toPostgresSql } from './postgres-sql.js';
import { MainConnectionDb, type SerialSql, type SqlParams, type SqlRunner, type SystemDb } from './system-db.js';

export interface PostgresStateOptions {
  url: string;
  /** The schema the system tables live in (created when missing); `public` when not set. */
  schema?: string;
  /** Connections kept open to the server. */
  poolSize?: number;
}

/** A pg type parser: the value's text (PostgreSQL's text output) to a JS value. */
type TextParser = (text: string) => unknown;

const int8: TextParser = (t) => plainValue(BigInt(t));
const timestamp: TextParser = (t) => new Date(`${t.replace(' ', 'T')}Z`);
const date: TextParser = (t) => new Date(`${t}T00:00:00Z`);
/** DuckDB gives DECIMALs (and avg/sum results) as doubles; an integer too large for one stays text, like BIGINT. */
const numeric: TextParser = (t) => {
  const n = Number(t);
  return Number.isInteger(n) && !Number.isSafeInteger(n) ? t : n;
};

/**
 * What pg hands back, shaped as DuckDB hands it back, so one repository reads both backends
 * the same: BIGINTs that fit are numbers, TIMESTAMP (without zone) is UTC like DuckDB keeps
 * it, JSON stays text, DATE is a UTC midnight, NUMERIC is a number, and arrays of these are
 * arrays of the same values. BYTEA comes back as bytes (a Buffer), as DuckDB's BLOB does.
 */
function parsers(textArray: TextParser): Record<number, TextParser> {
  const arrayOf =
    (element: TextParser): TextParser =>
    (t) =>
      (textArray(t) as (string | null)[]).map((x) => (x === null ? null : element(x)));
  return {
    20: int8,
    1016: arrayOf(int8),
    1114: timestamp, // timestamp without time zone
    1115: arrayOf(timestamp),
    1082: date,
    1182: arrayOf(date),
    1700: numeric,
    1231: arrayOf(numeric),
    114: (t) => t, // json
    3802: (t) => t, // jsonb
  };
}

/** Turns pg's row values into the plain values the DuckDB backend gives (bytes stay bytes). */
function rowValues<T>(rows: Record<string, unknown>[]): T[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) out[k] = v instanceof Uint8Array ? v : plainValue(v);
    return out as T;
  });
}

/**
 * A parameter as pg takes it. DuckDB's own value classes (what SqlParams allows besides plain
 * values) become what PostgreSQL reads for the same type: a BLOB its bytes, a LIST an array,
 * the others (timestamps, decimals, UUIDs…) their text. A JS Date is sent as its UTC ISO
 * text, so a TIMESTAMP column gets the UTC time whatever the process's time zone.
 */
function pgParam(p: unknown): unknown {
  if (p === undefined || p === null) return null;
  if (typeof p === 'bigint') return p.toString();
  if (p instanceof Date) return p.toISOString();
  if (p instanceof Uint8Array) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  if (Array.isArray(p)) return p.map(pgParam);
  if (p instanceof DuckDBBlobValue) return Buffer.from(p.bytes);
  if (p instanceof DuckDBListValue || p instanceof DuckDBArrayValue) return p.items.map(pgParam);
  if (typeof p === 'object') return String(p);
  return p;
}

function pgParams(params: SqlParams | undefined): unknown[] | undefined {
  return params?.map(pgParam);
}

async function runOn(client: ClientBase, sql: string, params?: SqlParams) {
  return client.query({ text: toPostgresSql(sql), values: pgParams(params) });
}

/** One pooled client and the queue in front of it, like the DuckDB backend's connection. */
class SerialClient implements SerialSql {
  private readonly queue = new SerialQueue();
  private client: Promise<PoolClient> | undefined;
  private closed = false;

  constructor(private readonly pool: Pool) {}

  all<T = Record<string, PlainValue>>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.enqueue(async (c) => rowValues<T>((await runOn(c, sql, params)).rows as Record<string, unknown>[]));
  }

  run(sql: string, params?: SqlParams): Promise<number> {
    return this.enqueue(async (c) => (await runOn(c, sql, params)).rowCount ?? 0);
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.enqueue(async (c) => {
      const tx: SqlRunner = {
        all: async (sql, params) => rowValues((await runOn(c, sql, params)).rows as Record<string, unknown>[]),
        run: async (sql, params) => (await runOn(c, sql, params)).rowCount ?? 0,
      };
      await c.query('BEGIN');
      try {
        const out = await fn(tx);
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.run(async () => undefined);
    this.closed = true;
    const c = await this.client?.catch(() => undefined);
    c?.release();
  }

  private enqueue<T>(task: (client: PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('system database is closed'));
    return this.queue.run(async () => {
      this.client ??= this.pool.connect();
      let client: PoolClient;
      try {
        client = await this.client;
      } catch (e) {
        this.client = undefined; // the next statement tries to connect again
        throw e;
      }
      try {
        return await task(client);
      } catch (e) {
        // A broken connection is dropped from the pool; the next statement gets a fresh one.
        if (isConnectionError(e)) {
          this.client = undefined;
          client.release(e as Error);
        }
        throw e;
      }
    });
  }
}

function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? '';
  return /^(08|57P)/.test(code) || /ECONNRESET|ECONNREFUSED|EPIPE|Connection terminated/i.test((e as Error).message ?? '');
}

/**
 * The system tables on PostgreSQL (`state.backend: postgres`), for several hosts sharing one
 * instance. Statements keep the DuckDB backend's order guarantees: the host's statements run
 * one at a time on one connection, a lane has a connection of its own. Across hosts,
 * PostgreSQL's own transactions keep writers apart.
 */
export class PostgresSystemDb extends MainConnectionDb implements SystemDb {
  readonly dialect = 'postgres' as const;
  protected readonly main: SerialClient;
  private readonly lanes = new Map<string, SerialClient>();
  private closing: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    readonly pool: Pool,
    readonly schema: string,
  ) {
    super();
    this.main = new SerialClient(pool);
  }

  static async open(o: PostgresStateOptions): Promise<PostgresSystemDb> {
    const pg = (await import('pg')).default;
    const schema = o.schema ?? 'public';
    const where = `${redactUrl(o.url)} schema ${schema}`;
    // text[]'s parser splits an array's text into its elements' texts, which ours then parse.
    const ours = parsers((pg.types.getTypeParser as (oid: number) => TextParser)(1009));
    const types = { getTypeParser: (oid: number, format?: string) => ours[oid] ?? pg.types.getTypeParser(oid, format as 'text') };
    const pool = new pg.Pool({
      connectionString: o.url,
      max: o.poolSize ?? 4,
      types: types as never,
      // Every connection works in the instance's schema, so the SQL never names it.
      options: `-c search_path=${schema} -c TimeZone=UTC`,
    });
    // An idle client that loses its connection emits `error` on the pool; unheard, it kills the process.
    pool.on('error', () => undefined);
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteSchema(schema)}`);
    } catch (e) {
      await pool.end().catch(() => undefined);
      const message = e instanceof Error ? e.message : String(e);
      throw new StateBackendUnavailableError(`cannot open the postgres state backend (${where}): ${message}`, {
        detail: { backend: 'postgres', target: where },
        cause: e,
      });
    }
    return new PostgresSystemDb(where, pool, schema);
  }

  lane(name: string): Promise<SerialSql> {
    if (this.closing) return Promise.reject(new Error('system database is closed'));
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = new SerialClient(this.pool);
      this.lanes.set(name, lane);
    }
    return Promise.resolve(lane);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const lane of this.lanes.values()) await lane.close();
      await this.main.close();
      await this.pool.end();
    })();
    return this.closing;
  }
}

/** A schema name as a quoted identifier (config allows lower-case SQL names only; quoting is belt and braces). */
function quoteSchema(schema: string): string {
  return `"${schema.replace(/"/g, '""')}"`;
}
