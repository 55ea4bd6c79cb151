// `da query --remote` / `--source` against a real host whose connector keeps a table at its
// source: a small warehouse (an in-memory DuckDB with a `web` schema) behind the connector's
// `remote` engine, standing in for BigQuery.
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, InputError, tokens, type RemoteEstimate } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { ADMIN, ANALYST, daWorkspace } from './helpers.js';

const EVENTS_BYTES = 2048;
/** The SQL each run received (to tell which route the CLI used). */
const runs: string[] = [];

/** Reads `events` or `web.events` out of the SQL; 2 KiB per query; `web.big` is over the scan cap. */
function plan(sql: string): RemoteEstimate {
  const named = [...sql.replace(/`/g, '').matchAll(/\b(?:from|join)\s+((?:web\.)?[a-z_]+)/gi)].map((m) => m[1].toLowerCase().replace(/^web\./, ''));
  if (!named.length) throw new InputError('Warehouse: the query reads no table');
  return { tables: [...new Set(named)], unregistered: [], bytes: named.includes('big') ? 10 ** 9 : EVENTS_BYTES };
}

const warehouse = definePlugin({
  id: 'warehouse',
  kind: 'connector',
  config: z.object({}),
  deps: { connectors: tokens.connectors },
  async init({ connectors }) {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run('CREATE SCHEMA web');
    await conn.run("CREATE TABLE web.events AS SELECT range AS id, ['view', 'buy'][range % 2 + 1] AS kind FROM range(5)");
    await conn.run('CREATE TABLE web.big AS SELECT 1 AS id');
    await conn.run("SET schema = 'web'");
    connectors.register({
      source: 'warehouse',
      sourceType: 'warehouse',
      discover: async () => [],
      async extract({ writer }) {
        writer.declareRemote('events');
        writer.declareRemote('big');
        return { tables: [{ name: 'events', status: 'ok' }] };
      },
      remote: {
        dialect: 'Warehouse SQL',
        limits: { maxScanBytes: 1_000_000, userDailyBytes: 10 ** 12, userConcurrent: 4 },
        estimate: async (sql) => plan(sql),
        async run(sql, o) {
          runs.push(sql);
          // The warehouse's dialect quotes names with backticks, as GoogleSQL does.
          const reader = await conn.runAndReadAll(`SELECT * FROM (${sql.replace(/`/g, '"')}) LIMIT ${o.limit + 1}`);
          const rows = reader.getRowsJS().map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
          return {
            columns: reader.columnNames().map((name, i) => ({ name, type: reader.columnTypes()[i].toString() })),
            rows: rows.slice(0, o.limit),
            truncated: rows.length > o.limit,
            bytesScanned: plan(sql).bytes,
          };
        },
      },
    });
  },
});

describe('da query at a source', () => {
  let t: TestHost;
  let ws: Awaited<ReturnType<typeof daWorkspace>>;

  beforeAll(async () => {
    t = await startTestHost({ plugins: [warehouse], config: { analytics: { profile_after_rebuild: false } } });
    expect((await t.host.syncSource('warehouse')).error).toBeUndefined();
    const post = async (path: string, body: unknown, token?: string) => {
      const res = await t.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    const admin = String((await post('/auth/bootstrap', ADMIN)).access_token);
    await post('/api/users', { ...ANALYST, role: 'analyst' }, admin);
    const analyst = String((await post('/auth/token', ANALYST)).access_token);
    ws = await daWorkspace();
    expect((await ws.run(['login', '--server', t.url, '--token', analyst])).code).toBe(0);
  });
  afterAll(async () => {
    await ws?.cleanup();
    await t?.stop();
  });

  it('--source runs the source SQL at the source and prints the result like a local query plus the bytes scanned', async () => {
    const csv = await ws.run(['query', '--source', 'warehouse', 'SELECT kind, count(*) AS n FROM web.events GROUP BY kind ORDER BY kind', '-f', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe('kind,n\nbuy,2\nview,3\n');
    expect(csv.stderr).toMatch(/2\.0 KB scanned at the source/);

    const table = await ws.run(['query', '--source', 'warehouse', 'SELECT id FROM web.events ORDER BY id']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^id\n--\n0\n1\n2\n3\n4\n$/);
    expect(table.stderr).toMatch(/5 row\(s\); 2\.0 KB scanned at the source/);

    const json = await ws.run(['query', '--source', 'warehouse', 'SELECT id FROM web.events ORDER BY id', '--limit', '2', '--json']);
    expect(json.json()).toEqual({
      columns: [{ name: 'id', type: 'BIGINT' }],
      rows: [[0], [1]],
      row_count: 2,
      truncated: true,
      bytes_scanned: EVENTS_BYTES,
      source: 'remote',
    });
  });

  it('--remote sends a query naming a table that stays at its source on to /api/query/remote', async () => {
    runs.length = 0;
    const r = await ws.run(['query', '--remote', 'SELECT count(*) AS n FROM events', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ rows: [[5]], bytes_scanned: EVENTS_BYTES });
    expect(runs).toEqual(['SELECT count(*) AS n FROM events']);
  });

  it('--remote sends source SQL DuckDB cannot parse to the source, and a plain syntax error still reads as one', async () => {
    runs.length = 0;
    const sourceSql = 'SELECT count(*) AS n FROM `web`.`events`';
    const r = await ws.run(['query', '--remote', sourceSql, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ rows: [[5]], bytes_scanned: EVENTS_BYTES });
    expect(runs).toEqual([sourceSql]);
    const bad = await ws.run(['query', '--remote', 'SELEKT 1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/syntax error/i);
    expect(bad.stderr).toMatch(/not DuckDB SQL, and at the source/);
  });

  it("reports the server's refusals with their exit codes and detail", async () => {
    const over = await ws.run(['query', '--source', 'warehouse', 'SELECT * FROM web.big', '--json']);
    expect(over.code).toBe(2);
    expect(over.json<{ error: Record<string, unknown> }>().error).toMatchObject({
      status: 400,
      code: 'AIDA_REMOTE_SCAN_TOO_LARGE',
      detail: { reason: 'remote_scan_too_large', bytes: 10 ** 9, limit: 1_000_000 },
    });
    const unknown = await ws.run(['query', '--source', 'nowhere', 'SELECT * FROM web.events']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No source 'nowhere'.*warehouse/);
  });
});
