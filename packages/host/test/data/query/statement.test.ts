import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS, DENIED_FUNCTIONS, isAllowedFunction } from '../../../src/data/query/functions.js';
import { checkStatement, sameTree, serializeSql, withoutLocations } from '../../../src/data/query/statement.js';

let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  // Real tables whose names the queries below reuse as CTE names.
  for (const t of ['t', 'a', 'b', 'secret', 'orders']) await conn.run(`CREATE TABLE ${t} AS SELECT 'REAL_${t}' AS v, 1 AS n`);
});
afterAll(() => {
  conn?.closeSync();
  db?.closeSync();
});

async function tablesOf(sql: string): Promise<string[]> {
  return (await checkStatement(conn, sql)).tables.map((x) => x.toLowerCase()).sort();
}

async function rejection(sql: string): Promise<{ status: number; code: string; message: string }> {
  try {
    await checkStatement(conn, sql);
  } catch (e) {
    const err = e as { status: number; code: string; message: string };
    return { status: err.status, code: err.code, message: err.message };
  }
  throw new Error(`accepted: ${sql}`);
}

/**
 * CTE scoping against DuckDB's own binder: `getTableNames` binds the statement and reports the
 * tables it really reads. The walker must find at least those (it may find more: a name it is
 * unsure about is treated as a table, which only makes the check stricter).
 */
const SCOPING = [
  `WITH t AS (SELECT 1 v) SELECT * FROM t`,
  `WITH t AS (SELECT * FROM t) SELECT * FROM t`,
  `WITH T AS (SELECT 1 v) SELECT * FROM t`,
  `WITH "t" AS (SELECT 1 v) SELECT * FROM "T"`,
  `WITH b AS (SELECT * FROM a), a AS (SELECT 1 v) SELECT * FROM b`,
  `WITH a AS (SELECT 1 v), b AS (SELECT * FROM a) SELECT * FROM b`,
  `SELECT * FROM (WITH t AS (SELECT 1 v) SELECT * FROM t) x, t`,
  `(WITH t AS (SELECT 1 v) SELECT * FROM t) UNION ALL SELECT * FROM t`,
  `WITH t AS (SELECT 1 v) SELECT * FROM main.t`,
  `WITH t AS (SELECT 1 v) SELECT (SELECT v FROM t), * FROM a`,
  `WITH RECURSIVE t AS (SELECT 1 n UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT * FROM t`,
  `WITH RECURSIVE t AS (SELECT n FROM t UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT * FROM t`,
  `WITH RECURSIVE t AS (SELECT * FROM t) SELECT * FROM t`,
  `WITH RECURSIVE b AS (SELECT * FROM a), a AS (SELECT 1 v) SELECT * FROM b`,
  `WITH t AS (SELECT 1 v) SELECT * FROM t JOIN LATERAL (SELECT * FROM t) y ON true`,
  `SELECT * FROM t WHERE EXISTS (WITH a AS (SELECT 1) SELECT * FROM a)`,
  `SELECT * FROM a WHERE EXISTS (WITH a AS (SELECT 1) SELECT * FROM a)`,
  `WITH a AS (SELECT 1 v) SELECT 1 ORDER BY (SELECT v FROM a)`,
  `WITH a AS (SELECT 1 v) SELECT 1 LIMIT (SELECT v FROM a)`,
  `WITH a AS (SELECT 1 v) SELECT * FROM a UNION ALL SELECT * FROM a`,
  `WITH a AS (SELECT 1 v) (SELECT * FROM a) UNION ALL (SELECT * FROM t)`,
  `WITH a AS (SELECT 1 v) SELECT * FROM t WHERE n IN (SELECT v FROM a)`,
  `WITH a AS (WITH t AS (SELECT 1 v) SELECT * FROM t) SELECT * FROM a, t`,
  `WITH a AS (SELECT 1 v) SELECT * FROM (WITH b AS (SELECT * FROM a) SELECT * FROM b)`,
  `WITH orders AS (SELECT * FROM secret) SELECT * FROM orders`,
  `WITH a AS MATERIALIZED (SELECT * FROM secret) SELECT * FROM a`,
  `WITH a AS NOT MATERIALIZED (SELECT 1 v) SELECT * FROM a, b`,
  `SELECT * FROM range(3) r, LATERAL (SELECT * FROM secret) s`,
  `SELECT list_transform([1], x -> (SELECT max(n) FROM secret))`,
  `SELECT * FROM (VALUES (1)) v(x) WHERE x IN (SELECT n FROM secret)`,
  `SELECT * FROM t QUALIFY row_number() OVER () <= (SELECT count(*) FROM secret)`,
  `SELECT * FROM t ASOF JOIN secret s ON t.n >= s.n`,
  `SELECT * FROM t POSITIONAL JOIN secret`,
  `SELECT * FROM t WHERE n > ALL (SELECT n FROM secret)`,
  `SELECT CASE WHEN EXISTS (SELECT 1 FROM secret) THEN 1 END`,
  `SELECT * FROM t, unnest((SELECT list(v) FROM secret))`,
  `SELECT sum(n) FILTER (WHERE n IN (SELECT n FROM secret)) FROM t`,
  `SELECT * FROM t GROUP BY ALL HAVING count(*) > (SELECT count(*) FROM secret)`,
  `SELECT n, sum(n) OVER (PARTITION BY (SELECT max(n) FROM secret)) FROM t`,
  `DESCRIBE secret`,
  `SUMMARIZE secret`,
  `DESCRIBE SELECT * FROM secret`,
  `FROM secret`,
  `TABLE secret`,
  `SELECT * FROM (FROM secret)`,
];

describe('checkStatement: table references', () => {
  it.each(SCOPING)('finds every table DuckDB binds: %s', async (sql) => {
    const found = await tablesOf(sql);
    const bound = conn.getTableNames(sql, false).map((x) => x.split('.').pop()!.toLowerCase());
    for (const name of bound) expect(found, `DuckDB reads ${name}`).toContain(name);
  });

  it('treats a CTE name as a CTE only inside its scope', async () => {
    expect(await tablesOf('WITH t AS (SELECT 1 v) SELECT * FROM t')).toEqual([]);
    expect(await tablesOf('WITH t AS (SELECT * FROM t) SELECT * FROM t')).toEqual(['t']);
    expect(await tablesOf('SELECT * FROM (WITH t AS (SELECT 1 v) SELECT * FROM t) x, t')).toEqual(['t']);
    expect(await tablesOf('WITH t AS (SELECT 1 v) SELECT * FROM main.t')).toEqual(['t']);
    expect(await tablesOf('WITH orders AS (SELECT * FROM secret) SELECT * FROM orders')).toEqual(['secret']);
    expect(await tablesOf('WITH RECURSIVE t AS (SELECT 1 n UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT * FROM t')).toEqual([]);
    expect(await tablesOf('WITH RECURSIVE t AS (SELECT n FROM t UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT * FROM t')).toEqual(['t']);
  });

  it('reports each table once, as written', async () => {
    const r = await checkStatement(conn, 'SELECT * FROM Secret s1, SECRET s2, main.secret s3, t');
    expect(r.tables).toEqual(['Secret', 't']);
  });
});

describe('checkStatement: rejections', () => {
  const cases: [string, string][] = [
    ["SELECT * FROM read_csv('/etc/passwd')", 'AIDA_QUERY_FORBIDDEN_FUNCTION'],
    ["SELECT * FROM main.range(3)", 'AIDA_QUERY_FORBIDDEN_FUNCTION'],
    ['SELECT * FROM information_schema.tables', 'AIDA_QUERY_FORBIDDEN_REFERENCE'],
    ['SELECT * FROM memory.main.t', 'AIDA_QUERY_FORBIDDEN_REFERENCE'],
    ["SELECT current_setting('threads')", 'AIDA_QUERY_FORBIDDEN_FUNCTION'],
    ['SELECT "system".main.version()', 'AIDA_QUERY_FORBIDDEN_FUNCTION'],
    ['SELECT v.upper() FROM t', 'AIDA_QUERY_FORBIDDEN_FUNCTION'],
    ['SHOW TABLES', 'AIDA_QUERY_UNSUPPORTED'],
    ['DESCRIBE', 'AIDA_QUERY_UNSUPPORTED'],
    ['SELECT 1; SELECT 2', 'AIDA_QUERY_MULTIPLE_STATEMENTS'],
    ['INSERT INTO t VALUES (1, 2)', 'AIDA_QUERY_NOT_SELECT'],
    ['SELECT FROM WHERE', 'AIDA_QUERY_SYNTAX'],
    ['-- nothing', 'AIDA_QUERY_EMPTY'],
    ['', 'AIDA_QUERY_EMPTY'],
  ];
  it.each(cases)('%s → %s', async (sql, code) => {
    const r = await rejection(sql);
    expect(r.status).toBe(400);
    expect(r.code).toBe(code);
    expect(r.message.length).toBeGreaterThan(10);
  });

  it('refuses trees nested too deeply to check', async () => {
    const r = await rejection(`SELECT ${'abs('.repeat(3000)}1${')'.repeat(3000)}`);
    expect(r.status).toBe(400);
    expect(r.code).toMatch(/AIDA_QUERY_(TOO_COMPLEX|SYNTAX|INVALID)/);
  });

  it('names the statement kind it refused', async () => {
    expect((await rejection("/* x */ COPY t TO '/tmp/x.csv'")).message).toMatch(/starts with COPY/);
    expect((await rejection('  attach \'x\' AS y')).message).toMatch(/starts with ATTACH/);
  });

  it('rejects SQL texts over the size limit before parsing them', async () => {
    const r = await rejection(`SELECT '${'x'.repeat(100_001)}'`);
    expect(r.code).toBe('AIDA_QUERY_TOO_LONG');
  });
});

describe('function allow-lists', () => {
  it('every allowed function exists in this DuckDB build, and none of the denied ones is allowed', async () => {
    const r = await conn.runAndReadAll(`SELECT DISTINCT lower(function_name) FROM duckdb_functions()`);
    const engine = new Set(r.getRows().map((x) => String(x[0])));
    const missing = [...ALLOWED_FUNCTIONS].filter((f) => !engine.has(f));
    expect(missing).toEqual([]);
    for (const f of Object.keys(DENIED_FUNCTIONS)) expect(isAllowedFunction(f), f).toBe(false);
    for (const f of ALLOWED_TABLE_FUNCTIONS) expect(engine.has(f), f).toBe(true);
  });

  it('no allowed macro reads a table or a table function', async () => {
    const r = await conn.runAndReadAll(`SELECT DISTINCT function_name, macro_definition FROM duckdb_functions() WHERE function_type = 'macro'`);
    for (const [name, definition] of r.getRows() as [string, string][]) {
      if (!isAllowedFunction(name)) continue;
      expect(definition, name).not.toMatch(/\bFROM\b|duckdb_|pragma_/i);
    }
  });
});

describe('tree helpers', () => {
  it('two parses of the same query compare equal once positions are dropped', async () => {
    const a = await serializeSql(conn, 'SELECT n FROM t WHERE n > 1');
    const b = await serializeSql(conn, '  SELECT   n FROM t  WHERE n > 1');
    const c = await serializeSql(conn, 'SELECT n FROM t WHERE n > 2');
    expect(sameTree(withoutLocations(a), withoutLocations(b))).toBe(true);
    expect(sameTree(withoutLocations(a), withoutLocations(c))).toBe(false);
  });
});
