import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { bootstrap, userWithSession } from '../../identity/helpers.js';
import { call, post, startWarehouseHost } from './helpers.js';
import { newWarehouse, SIZES } from './warehouse.js';

const w = newWarehouse();
let t: TestHost;
let admin: string;
let analyst: { id: string; token: string };
const hybrid = (body: unknown, token = analyst.token) => post(t, '/api/query/hybrid', token, body);

/** Events per customer, at the source. */
const PER_CUSTOMER = 'SELECT customer_id, count(*) AS n, sum(amount) AS total, max(seen_at) AS last_seen FROM web.events GROUP BY customer_id';

beforeAll(async () => {
  t = await startWarehouseHost(w, { warehouse: { user_daily_bytes: 1_000_000, user_concurrent: 4 }, query: { hybrid_max_alias_rows: 10 } });
  admin = await bootstrap(t);
  analyst = await userWithSession(t, admin, 'analyst@example.com', 'analyst');
  for (const table of ['clicks', 'salaries']) {
    expect((await call(t, 'PUT', `/api/admin/registry/${table}`, { token: admin, body: { is_public: false } })).status).toBe(200);
  }
});
afterAll(() => t?.stop());
beforeEach(() => {
  w.calls.length = 0;
});

describe('POST /api/query/hybrid', () => {
  it('joins a local table with a registered alias and answers bq_stats and bytes_scanned', async () => {
    const r = await hybrid({
      sql: 'SELECT c.name, ev.n, ev.total, ev.last_seen FROM customers c JOIN ev ON ev.customer_id = c.id ORDER BY c.id',
      register_bq: { ev: PER_CUSTOMER },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({
      columns: [
        { name: 'name', type: 'VARCHAR' },
        { name: 'n', type: 'BIGINT' },
        { name: 'total', type: 'DECIMAL(38,2)' },
        { name: 'last_seen', type: 'TIMESTAMP WITH TIME ZONE' },
      ],
      row_count: 3,
      truncated: false,
      bq_stats: { registered_aliases: ['ev'], alias_count: 1 },
      bytes_scanned: SIZES['web.events'],
    });
    expect(r.json.rows.map((row: unknown[]) => row.slice(0, 3))).toEqual([
      ['Alice', 4, 27],
      ['Bob', 4, 33],
      ['Carol', 4, 39],
    ]);
    expect(r.json.rows[0][3]).toMatch(/^2024-05-01.10:09:00/);
    // The alias's source query ran through the /api/query/remote checks: estimate, then a run capped at max_scan_bytes.
    expect(w.calls).toEqual([
      { kind: 'estimate', sql: PER_CUSTOMER, userId: analyst.id },
      { kind: 'run', sql: PER_CUSTOMER, userId: analyst.id, limit: 10, maxBytes: 5_000 },
    ]);
  });

  it('registers several aliases, limits the answer like /api/query, and works with none', async () => {
    const r = await hybrid(
      {
        sql: 'SELECT ev.customer_id, ev.n, cl.clicks FROM ev LEFT JOIN cl USING (customer_id) ORDER BY 1',
        register_bq: { ev: PER_CUSTOMER, cl: 'SELECT customer_id, count(*) AS clicks FROM web.clicks GROUP BY 1' },
        limit: 2,
      },
      admin,
    );
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({
      rows: [
        [1, 4, 3],
        [2, 4, 2],
      ],
      row_count: 2,
      truncated: true,
      bq_stats: { registered_aliases: ['ev', 'cl'], alias_count: 2 },
    });
    expect(r.json.bytes_scanned).toBe(SIZES['web.events'] + SIZES['web.clicks']);
    const local = await hybrid({ sql: 'SELECT count(*) AS n FROM customers', register_bq: {} });
    expect(local.json).toMatchObject({ rows: [[3]], bq_stats: { registered_aliases: [], alias_count: 0 }, bytes_scanned: 0 });
  });

  it('aliases are tables of that query only: /api/query does not know them afterwards', async () => {
    expect((await hybrid({ sql: 'SELECT count(*) FROM ev', register_bq: { ev: PER_CUSTOMER } })).status).toBe(200);
    const after = await post(t, '/api/query', admin, { sql: 'SELECT count(*) FROM ev' });
    expect(after.status).toBe(400);
    expect(after.json.code).toBe('AIDA_QUERY_UNKNOWN_TABLE');
  });

  it('an analyst without a grant gets 403 for a private table at the source or a private local table, and no source query runs for the local one', async () => {
    const atSource = await hybrid({ sql: 'SELECT * FROM cl', register_bq: { cl: 'SELECT * FROM web.clicks' } });
    expect(atSource.status).toBe(403);
    expect(atSource.json).toMatchObject({ code: 'AIDA_TABLE_FORBIDDEN', detail: { table: 'clicks' } });
    expect(atSource.json.message).toMatch(/^register_bq\.cl: /);
    expect(w.calls.map((c) => c.kind)).toEqual(['estimate']);
    w.calls.length = 0;
    const local = await hybrid({ sql: 'SELECT s.salary, ev.n FROM salaries s JOIN ev USING (customer_id)', register_bq: { ev: PER_CUSTOMER } });
    expect(local.status).toBe(403);
    expect(local.json).toMatchObject({ code: 'AIDA_TABLE_FORBIDDEN', detail: { table: 'salaries' } });
    expect(w.calls).toEqual([]);
    // A remote table named in the DuckDB SQL is pointed to the alias way.
    const remoteInSql = await hybrid({ sql: 'SELECT * FROM events', register_bq: {} });
    expect(remoteInSql.json.code).toBe('AIDA_TABLE_REMOTE');
  });

  it('an unregistered source table is 403 and the over-cap and over-row-limit source queries are refused', async () => {
    const unlisted = await hybrid({ sql: 'SELECT * FROM u', register_bq: { u: 'SELECT * FROM web.unlisted' } });
    expect(unlisted.status).toBe(403);
    expect(unlisted.json.code).toBe('AIDA_REMOTE_TABLE_UNREGISTERED');
    const huge = await hybrid({ sql: 'SELECT * FROM h', register_bq: { h: 'SELECT * FROM web.huge' } });
    expect(huge.status).toBe(400);
    expect(huge.json).toMatchObject({ code: 'AIDA_REMOTE_SCAN_TOO_LARGE', detail: { reason: 'remote_scan_too_large' } });
    expect(w.calls.map((c) => c.kind)).toEqual(['estimate', 'estimate']);
    // 12 events, 10 rows an alias may hold (query.hybrid_max_alias_rows).
    const many = await hybrid({ sql: 'SELECT count(*) FROM ev', register_bq: { ev: 'SELECT * FROM web.events' } });
    expect(many.status).toBe(400);
    expect(many.json).toMatchObject({ code: 'AIDA_HYBRID_ALIAS_TOO_LARGE', detail: { reason: 'row_limit', alias: 'ev', limit: 10 } });
  });

  it('a hybrid sql that writes, reads a file or reaches past the tables is refused as /api/query would, before any source query runs', async () => {
    const dir = join(t.dataDir, 'extracts', 'warehouse', 'data');
    const parquet = join(
      dir,
      (await readdir(dir)).find((f) => f.startsWith('customers'))!,
    );
    const cases: [string, string][] = [
      ['CREATE TABLE x AS SELECT * FROM ev', 'AIDA_QUERY_NOT_SELECT'],
      ["COPY (SELECT * FROM ev) TO '/tmp/aida-hybrid-leak.csv'", 'AIDA_QUERY_NOT_SELECT'],
      ['INSERT INTO ev VALUES (1, 2, 3, NULL)', 'AIDA_QUERY_NOT_SELECT'],
      ['SELECT * FROM ev; DROP TABLE ev', 'AIDA_QUERY_NOT_SELECT'],
      ['SELECT * FROM ev; SELECT 2', 'AIDA_QUERY_MULTIPLE_STATEMENTS'],
      ["SELECT * FROM read_csv('/etc/passwd')", 'AIDA_QUERY_FORBIDDEN_FUNCTION'],
      [`SELECT * FROM read_parquet('${parquet}')`, 'AIDA_QUERY_FORBIDDEN_FUNCTION'],
      ["SELECT * FROM query('SELECT * FROM salaries')", 'AIDA_QUERY_FORBIDDEN_FUNCTION'],
      ["SELECT getenv('HOME') FROM ev", 'AIDA_QUERY_FORBIDDEN_FUNCTION'],
      ['SELECT * FROM temp.main.ev', 'AIDA_QUERY_FORBIDDEN_REFERENCE'],
      ['SELECT * FROM analytics.main.salaries', 'AIDA_QUERY_FORBIDDEN_REFERENCE'],
      ['SELECT * FROM duckdb_tables()', 'AIDA_QUERY_FORBIDDEN_FUNCTION'],
    ];
    for (const [sql, code] of cases) {
      const r = await hybrid({ sql, register_bq: { ev: PER_CUSTOMER } });
      expect([r.status, r.json.code], sql).toEqual([400, code]);
    }
    expect(w.calls).toEqual([]);
  });

  it('an alias must be an identifier no table, reserved word or other alias has', async () => {
    const cases: [string, RegExp][] = [
      ['customers', /is the name of a table/],
      ['Events', /is the name of a table/],
      ['salaries', /is the name of a table/],
      ['select', /reserved SQL word/],
      ['1st', /not an identifier/],
      ['my-alias', /not an identifier/],
      ['_aida_tables', /starts with _aida/],
    ];
    for (const [alias, message] of cases) {
      const r = await hybrid({ sql: 'SELECT 1', register_bq: { [alias]: PER_CUSTOMER } });
      expect([r.status, r.json.code], alias).toEqual([400, 'AIDA_HYBRID_ALIAS_INVALID']);
      expect(r.json.message).toMatch(message);
    }
    const twice = await hybrid({ sql: 'SELECT 1', register_bq: { ev: PER_CUSTOMER, EV: PER_CUSTOMER } });
    expect(twice.json.message).toMatch(/given twice/);
    const tooMany = await hybrid({ sql: 'SELECT 1', register_bq: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, PER_CUSTOMER])) });
    expect(tooMany.json.message).toMatch(/at most 10/);
    expect(w.calls).toEqual([]);
  });

  it('audits the call with the bytes of all its aliases', async () => {
    const user = await userWithSession(t, admin, 'audited@example.com', 'analyst');
    expect(
      (await hybrid({ sql: 'SELECT count(*) FROM a JOIN b USING (customer_id)', register_bq: { a: PER_CUSTOMER, b: PER_CUSTOMER } }, user.token)).status,
    ).toBe(200);
    const audit = await call(t, 'GET', `/api/admin/audit?user_id=${user.id}&action=${encodeURIComponent('POST /api/query/hybrid')}`, { token: admin });
    expect(audit.json.items.map((i: { bytes_scanned: number }) => i.bytes_scanned)).toEqual([2 * SIZES['web.events']]);
  });
});
