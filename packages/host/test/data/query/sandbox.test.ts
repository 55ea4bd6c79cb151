import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startQueryHost, type QueryHost, type Reply } from './helpers.js';

/**
 * The sandbox corpus: things an analyst might send to reach outside the analytics tables they
 * may read. Each must be refused with 400 (the statement itself is not allowed) or 403 (it
 * reads a table the caller may not read), as a JSON error with a stable code and a message.
 * `salaries` (source hr) is private and never granted here.
 */

let h: QueryHost;
let salariesParquet: string;
let dataDir: string;

beforeAll(async () => {
  h = await startQueryHost();
  dataDir = h.t.dataDir;
  const dir = join(dataDir, 'extracts', 'hr', 'data');
  salariesParquet = join(dir, (await readdir(dir)).find((f) => f.startsWith('salaries'))!);
});
afterAll(async () => {
  await h?.stop();
});

type Case = [label: string, sql: () => string, status: 400 | 403, code: string | RegExp];
const c = (label: string, sql: string | (() => string), status: 400 | 403, code: string | RegExp): Case => [label, typeof sql === 'string' ? () => sql : sql, status, code];

const FN = 'AIDA_QUERY_FORBIDDEN_FUNCTION';
const REF = 'AIDA_QUERY_FORBIDDEN_REFERENCE';
const NOT_SELECT = 'AIDA_QUERY_NOT_SELECT';
// An unknown name is refused exactly like a private table (403), so names cannot be probed.
const UNSEEN = /^AIDA_TABLE_FORBIDDEN$/;
const FORBIDDEN = 'AIDA_TABLE_FORBIDDEN';
const SYNTAX = /AIDA_QUERY_(SYNTAX|INVALID)/;
const NOT_ONE = /AIDA_QUERY_(NOT_SELECT|MULTIPLE_STATEMENTS)/;

const CORPUS: Case[] = [
  // File readers and table functions over paths.
  c('read_csv of /etc/passwd', "SELECT * FROM read_csv('/etc/passwd')", 400, FN),
  c('read_csv_auto', "SELECT * FROM read_csv_auto('/etc/passwd')", 400, FN),
  c('read_parquet over an extract file', () => `SELECT * FROM read_parquet('${salariesParquet}')`, 400, FN),
  c('parquet_scan over an extract file', () => `SELECT * FROM parquet_scan('${salariesParquet}')`, 400, FN),
  c('read_parquet with a glob of all extracts', () => `SELECT * FROM read_parquet('${dataDir}/extracts/*/data/*.parquet')`, 400, FN),
  c('glob', "SELECT * FROM glob('/etc/*')", 400, FN),
  c('query() runs SQL text', "SELECT * FROM query('SELECT * FROM salaries')", 400, FN),
  c('query_table()', "SELECT * FROM query_table('salaries')", 400, FN),
  c('read_text', "SELECT * FROM read_text('/etc/hostname')", 400, FN),
  c('read_blob', "SELECT * FROM read_blob('/etc/hostname')", 400, FN),
  c('read_json', "SELECT * FROM read_json('/etc/passwd')", 400, FN),
  c('parquet_metadata', () => `SELECT * FROM parquet_metadata('${salariesParquet}')`, 400, FN),
  c('parquet_schema', () => `SELECT * FROM parquet_schema('${salariesParquet}')`, 400, FN),
  c('sniff_csv', "SELECT * FROM sniff_csv('/etc/passwd')", 400, FN),
  c('read_duckdb of the system database', () => `SELECT * FROM read_duckdb('${dataDir}/state/system.duckdb', table_name = 'users')`, 400, FN),
  c('json_execute_serialized_sql', "SELECT * FROM json_execute_serialized_sql('{}')", 400, FN),
  c('duckdb_tables()', 'SELECT * FROM duckdb_tables()', 400, FN),
  c('duckdb_settings()', 'SELECT * FROM duckdb_settings()', 400, FN),
  c('duckdb_views() (view SQL holds file paths)', 'SELECT sql FROM duckdb_views()', 400, FN),
  c('pragma_table_info()', "SELECT * FROM pragma_table_info('salaries')", 400, FN),
  c('table function in a LATERAL join', "SELECT * FROM orders, LATERAL read_csv('/etc/passwd')", 400, FN),
  c('table function in a scalar subquery', "SELECT (SELECT count(*) FROM read_csv('/etc/passwd'))", 400, FN),
  c('table function inside a CTE', "WITH x AS (SELECT * FROM read_text('/etc/hostname')) SELECT * FROM x", 400, FN),
  c('quoted table function name', `SELECT * FROM "read_csv"('/etc/passwd')`, 400, FN),
  c('upper-case table function name', "SELECT * FROM READ_CSV('/etc/passwd')", 400, FN),
  c('schema-qualified allowed table function', 'SELECT * FROM main.range(3)', 400, FN),
  c('file path as a table (replacement scan)', "SELECT * FROM '/etc/passwd'", 403, UNSEEN),
  c('extract file path as a table', () => `SELECT * FROM '${salariesParquet}'`, 403, UNSEEN),
  // Statements other than SELECT.
  c('COPY TO into the extracts folder', () => `COPY orders TO '${dataDir}/extracts/shop/data/evil.csv'`, 400, NOT_SELECT),
  c('COPY (query) TO /tmp', "COPY (SELECT * FROM salaries) TO '/tmp/aida-leak.csv'", 400, NOT_SELECT),
  c('COPY FROM a file', "COPY orders FROM '/etc/passwd'", 400, NOT_SELECT),
  c('ATTACH the system database', () => `ATTACH '${dataDir}/state/system.duckdb' AS sys`, 400, NOT_SELECT),
  c('DETACH', 'DETACH server', 400, NOT_SELECT),
  c('INSTALL', 'INSTALL httpfs', 400, NOT_SELECT),
  c('LOAD', 'LOAD httpfs', 400, NOT_SELECT),
  c('PRAGMA', "PRAGMA table_info('salaries')", 400, NOT_SELECT),
  c('PRAGMA show_tables', 'PRAGMA show_tables', 400, NOT_SELECT),
  c('SET', 'SET enable_external_access = true', 400, NOT_SELECT),
  c('RESET', 'RESET lock_configuration', 400, NOT_SELECT),
  c('SET VARIABLE', 'SET VARIABLE x = 1', 400, NOT_SELECT),
  c('CALL', 'CALL pragma_version()', 400, NOT_SELECT),
  c('EXPORT DATABASE', "EXPORT DATABASE '/tmp/aida-export'", 400, NOT_SELECT),
  c('CREATE TABLE AS', 'CREATE TABLE x AS SELECT 1', 400, NOT_SELECT),
  c('CREATE VIEW over a forbidden table', 'CREATE VIEW v AS SELECT * FROM salaries', 400, NOT_SELECT),
  c('CREATE TEMP VIEW', 'CREATE TEMP VIEW v AS SELECT * FROM salaries', 400, NOT_SELECT),
  c('CREATE MACRO', 'CREATE MACRO m() AS 1', 400, NOT_SELECT),
  c('INSERT', 'INSERT INTO orders VALUES (9, 9, 9, 9, 9, 9)', 400, NOT_SELECT),
  c('UPDATE', 'UPDATE orders SET amount = 0', 400, NOT_SELECT),
  c('DELETE', 'DELETE FROM orders', 400, NOT_SELECT),
  c('DROP', 'DROP VIEW orders', 400, NOT_SELECT),
  c('ALTER', 'ALTER VIEW orders RENAME TO o2', 400, NOT_SELECT),
  c('USE', 'USE system', 400, NOT_SELECT),
  c('CHECKPOINT', 'CHECKPOINT', 400, NOT_SELECT),
  c('BEGIN', 'BEGIN TRANSACTION', 400, NOT_SELECT),
  c('PREPARE', 'PREPARE p AS SELECT * FROM salaries', 400, NOT_SELECT),
  c('EXPLAIN ANALYZE', 'EXPLAIN ANALYZE SELECT * FROM salaries', 400, NOT_SELECT),
  c('lower-case statement', "copy orders to '/tmp/x.csv'", 400, NOT_SELECT),
  c('write inside a CTE', 'WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x', 400, SYNTAX),
  c('INSERT inside a CTE', 'WITH x AS (INSERT INTO orders SELECT * FROM orders RETURNING *) SELECT 1', 400, SYNTAX),
  // Several statements.
  c('two SELECTs', 'SELECT 1; SELECT 2', 400, NOT_ONE),
  c('SELECT then DROP', 'SELECT 1; DROP VIEW orders', 400, NOT_ONE),
  c('SELECT then ATTACH', "SELECT * FROM orders; ATTACH 'x.duckdb' AS y", 400, NOT_ONE),
  c('block comment hiding the separator', 'SELECT 1 /* harmless */ ; DROP VIEW orders', 400, NOT_ONE),
  c('separator after a line comment', 'SELECT 1 -- comment\n; DROP VIEW orders', 400, NOT_ONE),
  c('statement after an unterminated-looking string', "SELECT 'a'';'; DROP VIEW orders", 400, NOT_ONE),
  // Scalar functions that reach outside.
  c('getenv', "SELECT getenv('HOME')", 400, FN),
  c('current_setting (allowed directories)', "SELECT current_setting('allowed_directories')", 400, FN),
  c('current_setting in a subquery', "SELECT * FROM orders WHERE status = (SELECT current_setting('home_directory'))", 400, FN),
  c('json_serialize_plan binds SQL text', "SELECT json_serialize_plan('SELECT * FROM salaries')", 400, FN),
  c('pg_get_viewdef (view SQL)', 'SELECT pg_get_viewdef(1)', 400, FN),
  c('sleep_ms', 'SELECT sleep_ms(100000)', 400, FN),
  c('write_log', "SELECT write_log('x')", 400, FN),
  c('nextval', "SELECT nextval('s')", 400, FN),
  c('getvariable', "SELECT getvariable('x')", 400, FN),
  c('catalog-qualified function', 'SELECT "system".main.version()', 400, FN),
  c('method-call syntax of a denied function', "SELECT s.current_setting() FROM (SELECT 'threads' AS s)", 400, FN),
  c('denied function in a lambda', "SELECT list_transform(['HOME'], x -> getenv(x))", 400, FN),
  // Catalog and schema probing.
  c('information_schema', 'SELECT * FROM information_schema.tables', 400, REF),
  c('pg_catalog', 'SELECT * FROM pg_catalog.pg_class', 400, REF),
  c('system catalog view', 'SELECT * FROM system.main.duckdb_tables', 400, REF),
  c('quoted system catalog view', 'SELECT * FROM "system"."main"."duckdb_settings"', 400, REF),
  c('temp catalog', 'SELECT * FROM temp.main.x', 400, REF),
  c('analytics catalog by name', 'SELECT * FROM server.main.orders', 400, REF),
  c('attached name as schema', 'SELECT * FROM server._aida_files', 400, REF),
  c('unqualified catalog view', 'SELECT * FROM duckdb_tables', 403, UNSEEN),
  c('sqlite_master', 'SELECT * FROM sqlite_master', 403, UNSEEN),
  c('internal table of file paths', 'SELECT * FROM _aida_files', 403, UNSEEN),
  c('internal table list', 'SELECT * FROM _aida_tables', 403, UNSEEN),
  c('SHOW TABLES', 'SHOW TABLES', 400, 'AIDA_QUERY_UNSUPPORTED'),
  c('SHOW ALL TABLES', 'SHOW ALL TABLES', 400, /AIDA_QUERY_(UNSUPPORTED|NOT_SELECT)/),
  // A forbidden table, however it is reached.
  c('directly', 'SELECT * FROM salaries', 403, FORBIDDEN),
  c('quoted identifier', 'SELECT * FROM "salaries"', 403, FORBIDDEN),
  c('upper case', 'SELECT * FROM SALARIES', 403, FORBIDDEN),
  c('mixed-case quoted identifier', 'SELECT * FROM "SaLaRiEs"', 403, FORBIDDEN),
  c('main-qualified', 'SELECT * FROM main.salaries', 403, FORBIDDEN),
  c('main-qualified and quoted', 'SELECT * FROM "main"."salaries"', 403, FORBIDDEN),
  c('alias', 'SELECT s.salary FROM salaries AS s', 403, FORBIDDEN),
  c('FROM-first', 'FROM salaries', 403, FORBIDDEN),
  c('TABLE statement', 'TABLE salaries', 403, FORBIDDEN),
  c('DESCRIBE', 'DESCRIBE salaries', 403, FORBIDDEN),
  c('SUMMARIZE', 'SUMMARIZE salaries', 403, FORBIDDEN),
  c('through a CTE', 'WITH x AS (SELECT * FROM salaries) SELECT * FROM x', 403, FORBIDDEN),
  c('CTE named like a readable table', 'WITH orders AS (SELECT * FROM salaries) SELECT * FROM orders', 403, FORBIDDEN),
  c('CTE body naming itself reads the real table', 'WITH salaries AS (SELECT * FROM salaries) SELECT * FROM salaries', 403, FORBIDDEN),
  c('qualified name escapes a CTE of the same name', 'WITH salaries AS (SELECT 1) SELECT * FROM main.salaries', 403, FORBIDDEN),
  c('CTE scoped to a subquery does not shadow outside it', 'SELECT * FROM (WITH salaries AS (SELECT 1) SELECT * FROM salaries) x, salaries', 403, FORBIDDEN),
  c('later CTE is not visible to an earlier one', 'WITH a AS (SELECT * FROM salaries), salaries AS (SELECT 1) SELECT * FROM a', 403, FORBIDDEN),
  c('recursive CTE anchor reads the real table', 'WITH RECURSIVE salaries AS (SELECT * FROM salaries UNION ALL SELECT * FROM salaries WHERE false) SELECT * FROM salaries', 403, FORBIDDEN),
  c('subquery in FROM', 'SELECT * FROM (SELECT * FROM salaries) s', 403, FORBIDDEN),
  c('EXISTS', 'SELECT * FROM orders WHERE EXISTS (SELECT 1 FROM salaries)', 403, FORBIDDEN),
  c('IN subquery', 'SELECT * FROM orders WHERE customer_id IN (SELECT employee FROM salaries)', 403, FORBIDDEN),
  c('ANY subquery', 'SELECT * FROM orders WHERE amount > ANY (SELECT salary FROM salaries)', 403, FORBIDDEN),
  c('UNION', 'SELECT id FROM orders UNION SELECT salary FROM salaries', 403, FORBIDDEN),
  c('INTERSECT inside parentheses', '(SELECT id FROM orders) INTERSECT (SELECT employee FROM salaries)', 403, FORBIDDEN),
  c('LATERAL join', 'SELECT * FROM orders o, LATERAL (SELECT * FROM salaries s WHERE s.employee = o.id) x', 403, FORBIDDEN),
  c('JOIN', 'SELECT * FROM orders JOIN salaries ON true', 403, FORBIDDEN),
  c('ASOF join', 'SELECT * FROM orders o ASOF JOIN salaries s ON o.id >= s.employee', 403, FORBIDDEN),
  c('scalar subquery in the select list', 'SELECT (SELECT max(salary) FROM salaries) FROM orders', 403, FORBIDDEN),
  c('subquery in ORDER BY', 'SELECT * FROM orders ORDER BY (SELECT count(*) FROM salaries)', 403, FORBIDDEN),
  c('subquery in LIMIT', 'SELECT * FROM orders LIMIT (SELECT count(*) FROM salaries)', 403, FORBIDDEN),
  c('subquery in QUALIFY', 'SELECT * FROM orders QUALIFY row_number() OVER () <= (SELECT count(*) FROM salaries)', 403, FORBIDDEN),
  c('subquery in a window partition', 'SELECT sum(amount) OVER (PARTITION BY (SELECT max(salary) FROM salaries)) FROM orders', 403, FORBIDDEN),
  c('subquery in an aggregate FILTER', 'SELECT count(*) FILTER (WHERE id IN (SELECT employee FROM salaries)) FROM orders', 403, FORBIDDEN),
  c('subquery as a table function argument', 'SELECT * FROM range((SELECT count(*) FROM salaries))', 403, FORBIDDEN),
  c('subquery inside a lambda', 'SELECT list_transform([1], x -> (SELECT max(salary) FROM salaries))', 403, FORBIDDEN),
  c('subquery in a VALUES filter', 'SELECT * FROM (VALUES (1)) v(x) WHERE x IN (SELECT employee FROM salaries)', 403, FORBIDDEN),
  c('DESCRIBE of a query', 'DESCRIBE SELECT * FROM salaries', 403, FORBIDDEN),
  c('PIVOT', 'SELECT * FROM (PIVOT salaries ON employee IN (1, 2) USING sum(salary))', 403, FORBIDDEN),
  c('block comment between FROM and the name', 'SELECT * FROM/* x */salaries', 403, FORBIDDEN),
  c('line comment between FROM and the name', 'SELECT * FROM -- x\n salaries', 403, FORBIDDEN),
  c('private table of another bucket', 'SELECT * FROM orders, ledger', 403, FORBIDDEN),
  // Lookalikes are simply unknown tables.
  c('unicode lookalike name (Cyrillic s)', 'SELECT * FROM "ѕalaries"', 403, UNSEEN),
  c('trailing space in a quoted name', 'SELECT * FROM "salaries "', 403, UNSEEN),
  c('unicode quotes are identifiers, not strings', 'SELECT ‘x’ FROM salaries', 403, FORBIDDEN),
  c('unicode quote trick around a separator', 'SELECT ‘;’; DROP VIEW orders', 400, /AIDA_QUERY_(NOT_SELECT|MULTIPLE_STATEMENTS|SYNTAX)/),
];

describe('POST /api/query: the sandbox corpus', () => {
  it('has at least 60 attempts', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CORPUS)('refuses %s', async (_label, sql, status, code) => {
    const r = await h.query({ sql: sql() });
    expect(r.status, r.text).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(r.json.code).toMatch(code);
    expect(typeof r.json.message).toBe('string');
    expect(r.json.message.length).toBeGreaterThan(20);
    if (status === 403 && code !== UNSEEN) expect(r.json.detail.table.toLowerCase()).toMatch(/salaries|ledger/);
  });

  it('wrote nothing, anywhere, while refusing all of that', async () => {
    expect(existsSync(join(dataDir, 'extracts', 'shop', 'data', 'evil.csv'))).toBe(false);
    expect(existsSync('/tmp/aida-leak.csv')).toBe(false);
    expect(existsSync('/tmp/aida-export')).toBe(false);
    const r = await h.query({ sql: 'SELECT count(*) AS n FROM orders' });
    expect(r.json.rows).toEqual([[5]]);
  });
});

describe('POST /api/query: legitimate SELECTs', () => {
  const ok: [string, string, unknown[][] | null][] = [
    ['ORDER BY and LIMIT', 'SELECT id, amount FROM orders ORDER BY id DESC LIMIT 2', [[5, 50], [4, 40.25]]],
    ['join', 'SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id', [[1, 'Alice'], [2, 'Bob'], [3, 'Alice'], [4, 'Carol'], [5, 'Dave']]],
    ['aggregate', "SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY ALL ORDER BY status", [['cancelled', 1, 50], ['paid', 3, 70.75], ['pending', 1, null]]],
    ['window function', 'SELECT id, sum(amount) OVER (PARTITION BY customer_id ORDER BY id) AS running FROM orders WHERE customer_id = 1 ORDER BY id', [[1, 10.5], [3, 10.5]]],
    ['CTE', 'WITH t AS (SELECT customer_id, count(*) AS n FROM orders GROUP BY 1) SELECT c.name, t.n FROM t JOIN customers c ON c.id = t.customer_id ORDER BY t.n DESC, c.name LIMIT 1', [['Alice', 2]]],
    ['UNION ALL', 'SELECT id FROM orders WHERE id < 2 UNION ALL SELECT id FROM customers WHERE id < 3 ORDER BY 1', [[1], [1], [2]]],
    ['EXISTS over readable tables', 'SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = \'pending\')', [['Alice']]],
    ['a CTE whose name shadows a forbidden table', 'WITH salaries AS (SELECT 42 AS salary) SELECT * FROM salaries', [[42]]],
    ['a recursive CTE named like a forbidden table', 'WITH RECURSIVE salaries AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM salaries WHERE n < 3) SELECT * FROM salaries', [[1], [2], [3]]],
    ['string literals holding dangerous words', "SELECT 'DROP TABLE orders; SELECT * FROM read_csv(''/etc/passwd'')' AS s", [["DROP TABLE orders; SELECT * FROM read_csv('/etc/passwd')"]]],
    ['a comment naming a forbidden table', 'SELECT count(*) FROM orders -- not salaries, not read_csv()', [[5]]],
    ['an identifier that is a keyword-ish word', 'SELECT count(*) AS "drop" FROM orders', [[5]]],
    ['upper-case and main-qualified names', 'SELECT count(*) FROM MAIN.ORDERS', [[5]]],
    ['FROM-first', 'FROM customers SELECT name WHERE country = \'DE\'', [['Bob']]],
    ['VALUES', "VALUES (1, 'a'), (2, 'b')", [[1, 'a'], [2, 'b']]],
    ['allowed table functions', 'SELECT sum(range) FROM range(5)', [[10]]],
    ['unnest and lists', "SELECT unnest([1, 2]) AS x, [y * 2 FOR y IN [1, 2]] AS l", [[1, [2, 4]], [2, [2, 4]]]],
    ['date functions', "SELECT date_trunc('month', ordered_on) AS m, count(*) FROM orders GROUP BY 1 ORDER BY 1", [['2024-01-01T00:00:00', 2], ['2024-02-01T00:00:00', 2], ['2024-04-01T00:00:00', 1]]],
    ['QUALIFY', 'SELECT customer_id, id FROM orders QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY id DESC) = 1 ORDER BY customer_id', [[1, 3], [2, 2], [3, 4], [4, 5]]],
    ['DESCRIBE a readable table', 'DESCRIBE customers', null],
    ['a trailing semicolon', 'SELECT 1 AS one;', [[1]]],
    ['comments around the statement', '/* report */ SELECT 1 AS one -- done', [[1]]],
  ];
  it.each(ok)('accepts %s', async (_label, sql, rows) => {
    const r = await h.query({ sql });
    expect(r.status, r.text).toBe(200);
    if (rows) expect(r.json.rows).toEqual(rows);
  });

  it('lets an admin read every table, still inside the sandbox', async () => {
    const r = await h.query({ sql: 'SELECT sum(salary) FROM salaries' }, { token: h.admin });
    expect(r.status).toBe(200);
    expect(r.json.rows).toEqual([[6000]]);
    for (const sql of ["SELECT * FROM read_csv('/etc/passwd')", "SELECT current_setting('allowed_directories')", 'SELECT * FROM information_schema.tables', 'SELECT * FROM _aida_files']) {
      const refused = await h.query({ sql }, { token: h.admin });
      expect(refused.status, sql).toBe(400);
    }
  });

  it('needs the analyst role and a session', async () => {
    const viewer = await h.query({ sql: 'SELECT 1' }, { token: h.viewer.token });
    expect(viewer.status).toBe(403);
    expect(viewer.json.message).toMatch(/analyst/);
    const anonymous: Reply = await call(h.t, 'POST', '/api/query', { body: { sql: 'SELECT 1' } });
    expect(anonymous.status).toBe(401);
  });
});
