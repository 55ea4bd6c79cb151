// A second source for the host's queries at a source: a connector whose `remote` engine is a
// real in-process warehouse (an in-memory DuckDB database with a `web` schema), standing in for
// BigQuery while its plugin is built. Its SQL names tables `web.<table>`; the estimate reads
// those names out of the SQL (a table of sizes says what each would scan), the run executes
// the SQL in that database. Every call is logged; a test may hold runs open at a gate.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import {
  definePlugin,
  InputError,
  tokens,
  type RemoteEstimate,
  type RemoteQueryEngine,
  type RemoteQueryLimits,
  type RemoteResult,
  type RemoteRunOptions,
} from '@aida/core';

/** Warehouse table → the AIDA table standing for it (`web.unlisted` stands for none). */
export const REGISTERED: Record<string, string> = { 'web.events': 'events', 'web.clicks': 'clicks', 'web.huge': 'huge' };

/** Bytes a query reading each table scans. */
export const SIZES: Record<string, number> = { 'web.events': 1_000, 'web.clicks': 400, 'web.unlisted': 10, 'web.huge': 10_000_000 };

export interface EngineCall {
  kind: 'estimate' | 'run';
  sql: string;
  userId: string;
  limit?: number;
  maxBytes?: number;
}

/** What the test reaches the warehouse through. */
export interface Warehouse {
  calls: EngineCall[];
  /** While set, runs wait for it (a test holding queries open); aborting the request still stops them. */
  gate?: Promise<void>;
  /** Runs waiting at the gate right now. */
  waiting: number;
}

const SETUP = [
  'CREATE SCHEMA web',
  `CREATE TABLE web.events AS SELECT range AS event_id, range % 3 + 1 AS customer_id, ['view', 'click', 'buy'][range % 3 + 1] AS kind,
     TIMESTAMP '2024-05-01 10:00:00' + to_minutes(range) AS seen_at, (range * 1.5)::DECIMAL(10, 2) AS amount FROM range(12)`,
  'CREATE TABLE web.clicks AS SELECT range AS click_id, range % 2 + 1 AS customer_id FROM range(5)',
  "CREATE TABLE web.unlisted AS SELECT 'internal' AS note",
  'CREATE TABLE web.huge AS SELECT range AS id FROM range(10)',
];

/** The remote engine: estimates by the tables named, runs in the warehouse database. */
class WarehouseEngine implements RemoteQueryEngine {
  readonly dialect = 'Warehouse SQL';

  constructor(
    private readonly conn: DuckDBConnection,
    readonly limits: RemoteQueryLimits,
    private readonly w: Warehouse,
  ) {}

  async estimate(sql: string, o: { signal: AbortSignal; userId: string }): Promise<RemoteEstimate> {
    this.w.calls.push({ kind: 'estimate', sql, userId: o.userId });
    return plan(sql);
  }

  async run(sql: string, o: RemoteRunOptions): Promise<RemoteResult> {
    this.w.calls.push({ kind: 'run', sql, userId: o.userId, limit: o.limit, maxBytes: o.maxBytes });
    const { bytes } = plan(sql);
    if (bytes > o.maxBytes) throw new InputError(`Warehouse: Query exceeded limit for bytes billed: ${o.maxBytes}`);
    if (this.w.gate) {
      this.w.waiting++;
      try {
        await Promise.race([
          this.w.gate,
          new Promise((_, reject) => o.signal.addEventListener('abort', () => reject(new Error('Warehouse: job cancelled')), { once: true })),
        ]);
      } finally {
        this.w.waiting--;
      }
    }
    const reader = await this.conn.runAndReadAll(`SELECT * FROM (${sql}) LIMIT ${o.limit + 1}`).catch((e: Error) => {
      // As BigQuery's invalidQuery: the query's own fault, with the engine's message.
      throw new InputError(`Warehouse: ${e.message}`);
    });
    const types = reader.columnTypes().map((t) => t.toString());
    const rows = reader.getRowsJS().map((r) => r.map(jsonValue));
    return {
      columns: reader.columnNames().map((name, i) => ({ name, type: types[i] })),
      rows: rows.slice(0, o.limit),
      truncated: rows.length > o.limit,
      bytesScanned: bytes,
    };
  }
}

/** What a query reads and scans: the `web.<table>` names after FROM and JOIN. */
function plan(sql: string): RemoteEstimate {
  const named = [...sql.matchAll(/\b(?:from|join)\s+([a-z_]+\.[a-z_]+)/gi)].map((m) => m[1].toLowerCase());
  if (!named.length) throw new InputError('Warehouse: the query reads no table (write FROM web.<table>)');
  const unknown = named.filter((t) => !(t in SIZES));
  if (unknown.length) throw new InputError(`Warehouse: Not found: Table ${unknown[0]}`);
  const tables = [...new Set(named)];
  return {
    tables: tables.filter((t) => t in REGISTERED).map((t) => REGISTERED[t]),
    unregistered: tables.filter((t) => !(t in REGISTERED)),
    bytes: tables.reduce((n, t) => n + SIZES[t], 0),
  };
}

/** Values as JSON carries them: big integers, decimals and timestamps as text. */
function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === 'object') return String(v);
  return v;
}

const configSchema = z.object({
  source: z.string().default('warehouse'),
  max_scan_bytes: z.number().default(5_000),
  user_daily_bytes: z.number().default(50_000),
  user_concurrent: z.number().default(2),
  /** Local tables the extract writes beside the remote ones (name → SELECT). */
  local: z.record(z.string(), z.string()).default({}),
});

/** The connector: its extract declares `events`, `clicks` and `huge` remote and writes the `local` tables. */
export function warehousePlugin(w: Warehouse) {
  return definePlugin({
    id: 'warehouse',
    kind: 'connector',
    config: configSchema,
    deps: { connectors: tokens.connectors },
    async init({ connectors }, { config }) {
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      for (const s of SETUP) await conn.run(s);
      const engine = new WarehouseEngine(
        conn,
        { maxScanBytes: config.max_scan_bytes, userDailyBytes: config.user_daily_bytes, userConcurrent: config.user_concurrent },
        w,
      );
      connectors.register({
        source: config.source,
        sourceType: 'warehouse',
        remote: engine,
        discover: async () => Object.values(REGISTERED).map((name) => ({ name })),
        async extract({ writer }) {
          writer.declareRemote('events', { description: 'page events, kept in the warehouse', rows: 12, sizeBytes: SIZES['web.events'] });
          writer.declareRemote('clicks', { rows: 5 });
          writer.declareRemote('huge');
          for (const [name, select] of Object.entries(config.local)) await writer.writeTable(name, select);
          return { tables: [...Object.values(REGISTERED), ...Object.keys(config.local)].map((name) => ({ name, status: 'ok' as const })) };
        },
      });
    },
  });
}

export function newWarehouse(): Warehouse {
  return { calls: [], waiting: 0 };
}
