import { existsSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startQueryHost, type QueryHost } from './helpers.js';

let h: QueryHost;

beforeAll(async () => {
  h = await startQueryHost();
});
afterAll(async () => {
  await h?.stop();
});

/** A strict RFC 4180 reader (quoted fields, doubled quotes, embedded commas and newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

/** Reads Parquet bytes back with DuckDB itself. */
/** Runs `sql(file)` over the bytes written to a file: its first row. */
async function inspectParquet(bytes: ArrayBuffer | Buffer, sql: (file: string) => string): Promise<{ columns: string[]; rows: unknown[][] }> {
  const file = join(h.root, `check-${Math.random().toString(36).slice(2)}.parquet`);
  await writeFile(file, Buffer.from(bytes as ArrayBuffer));
  const db = await DuckDBInstance.create(':memory:');
  try {
    const conn = await db.connect();
    const reader = await conn.runAndReadAll(sql(file));
    const out = { columns: reader.columnNames(), rows: reader.getRowsJS() };
    conn.closeSync();
    return out;
  } finally {
    db.closeSync();
    await rm(file, { force: true });
  }
}

const readParquet = (bytes: ArrayBuffer | Buffer) => inspectParquet(bytes, (file) => `SELECT * FROM read_parquet('${file}')`);

/** POST /api/query over node:http, which (unlike fetch) gives the response's trailers. */
function postRaw(body: unknown): Promise<{ status: number; headers: IncomingHttpHeaders; trailers: NodeJS.Dict<string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.t.url}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.analyst.token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }));
    });
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}

function post(body: unknown, headers: Record<string, string> = {}, token = h.analyst.token): Promise<Response> {
  return h.t.request('/api/query', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify(body) });
}

describe('POST /api/query: JSON', () => {
  it('answers {columns: [{name, type}], rows: [[…]], row_count, truncated}', async () => {
    const r = await h.query({ sql: 'SELECT id, customer_id, amount, status, ordered_on, note FROM orders ORDER BY id LIMIT 2' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.json).toEqual({
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'customer_id', type: 'BIGINT' },
        { name: 'amount', type: 'DOUBLE' },
        { name: 'status', type: 'VARCHAR' },
        { name: 'ordered_on', type: 'DATE' },
        { name: 'note', type: 'VARCHAR' },
      ],
      rows: [
        [1, 1, 10.5, 'paid', '2024-01-05', 'first'],
        [2, 2, 20, 'paid', '2024-01-20', 'with, comma'],
      ],
      row_count: 2,
      truncated: false,
    });
  });

  it('writes every type as documented', async () => {
    const r = await h.query({
      sql: `SELECT 42::BIGINT AS small, 9007199254740993::BIGINT AS big, -170141183460469231731687303715884105727::HUGEINT AS huge,
        12.50::DECIMAL(10,2) AS dec, 1.5::FLOAT AS f, 'nan'::DOUBLE AS nan, 'infinity'::DOUBLE AS inf, true AS b, NULL AS n,
        DATE '2024-02-03' AS d, TIMESTAMP '2024-02-03 04:05:06.5' AS ts, TIMESTAMP '2024-02-03 04:05:06' AS ts0,
        TIMESTAMPTZ '2024-02-03 04:05:06+02' AS tz, TIMESTAMP_NS '2024-01-01 00:00:00.123456789' AS tns, 'infinity'::TIMESTAMP AS tinf,
        TIME '01:02:03' AS tm, INTERVAL 90 MINUTE AS iv, [1, 2] AS l, {'a': 1, 'b': [DATE '2024-01-01']} AS st, MAP {'k': 2::BIGINT} AS m,
        'é "quoted" \n line' AS s, 'x'::ENUM('x', 'y') AS e, '00000000-0000-0000-0000-000000000001'::UUID AS u`,
    });
    expect(r.status, r.text).toBe(200);
    const row = Object.fromEntries(r.json.columns.map((c: { name: string }, i: number) => [c.name, r.json.rows[0][i]]));
    expect(row).toEqual({
      small: 42,
      big: '9007199254740993',
      huge: '-170141183460469231731687303715884105727',
      dec: 12.5,
      f: 1.5,
      nan: 'NaN',
      inf: 'Infinity',
      b: true,
      n: null,
      d: '2024-02-03',
      ts: '2024-02-03T04:05:06.5',
      ts0: '2024-02-03T04:05:06',
      tz: '2024-02-03T02:05:06Z',
      tns: '2024-01-01T00:00:00.123456789',
      tinf: 'infinity',
      tm: '01:02:03',
      iv: '01:30:00',
      l: [1, 2],
      st: { a: 1, b: ['2024-01-01'] },
      m: { k: 2 },
      s: 'é "quoted" \n line',
      e: 'x',
      u: '00000000-0000-0000-0000-000000000001',
    });
    // Decimals keep their exact digits in the JSON text.
    expect(r.text).toContain('12.50');
    expect(r.json.columns.find((c: { name: string }) => c.name === 'dec').type).toBe('DECIMAL(10,2)');
  });

  it('returns at most limit rows (default 1000) and says when there were more', async () => {
    const def = await h.query({ sql: 'SELECT * FROM range(1500)' });
    expect(def.json.row_count).toBe(1000);
    expect(def.json.rows).toHaveLength(1000);
    expect(def.json.truncated).toBe(true);
    expect(def.json.rows[999]).toEqual([999]);

    const ten = await h.query({ sql: 'SELECT * FROM range(1500) ORDER BY range DESC', limit: 10 });
    expect(ten.json.rows.map((x: number[]) => x[0])).toEqual([1499, 1498, 1497, 1496, 1495, 1494, 1493, 1492, 1491, 1490]);
    expect(ten.json.truncated).toBe(true);

    // Exactly as many rows as exist, at a chunk boundary (2048): not truncated.
    const exact = await h.query({ sql: 'SELECT * FROM range(2048)', limit: 2048 });
    expect(exact.json).toMatchObject({ row_count: 2048, truncated: false });
    const oneShort = await h.query({ sql: 'SELECT * FROM range(2048)', limit: 2047 });
    expect(oneShort.json).toMatchObject({ row_count: 2047, truncated: true });
    const zero = await h.query({ sql: 'SELECT * FROM orders', limit: 0 });
    expect(zero.json).toMatchObject({ rows: [], row_count: 0, truncated: true });
    const empty = await h.query({ sql: 'SELECT * FROM orders WHERE false' });
    expect(empty.json).toMatchObject({ rows: [], row_count: 0, truncated: false });
    expect(empty.json.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'customer_id', 'amount', 'status', 'ordered_on', 'note']);

    const max = await h.query({ sql: 'SELECT * FROM range(200000)', limit: 100_000 });
    expect(max.json).toMatchObject({ row_count: 100_000, truncated: true });
    const tooMany = await h.query({ sql: 'SELECT 1', limit: 100_001 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.code).toBe('AIDA_QUERY_LIMIT_TOO_HIGH');
    expect(tooMany.json.message).toMatch(/ndjson, csv or parquet/);
  });

  it('403 for a private table, then 200 after a bucket.* grant', async () => {
    const before = await h.query({ sql: 'SELECT sum(amount) FROM ledger' });
    expect(before.status).toBe(403);
    expect(before.json).toMatchObject({ code: 'AIDA_TABLE_FORBIDDEN', detail: { table: 'ledger' } });
    expect(before.json.message).toMatch(/ledger/);
    const grant = await call(h.t, 'POST', '/api/admin/permissions', { token: h.admin, body: { user_id: h.analyst.id, dataset: 'finance.*', access: 'read' } });
    expect(grant.status, grant.text).toBeLessThan(300);
    const after = await h.query({ sql: 'SELECT sum(amount) AS total FROM ledger' });
    expect(after.status, after.text).toBe(200);
    expect(after.json.rows).toEqual([[2.25]]);
    // The grant is for that bucket only.
    expect((await h.query({ sql: 'SELECT * FROM salaries' })).status).toBe(403);
  });

  it('names the unknown table, and reports engine errors as 400 with DuckDB’s message', async () => {
    const unknown = await h.query({ sql: 'SELECT * FROM nope' }, { token: h.admin });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ code: 'AIDA_QUERY_UNKNOWN_TABLE', detail: { table: 'nope' } });
    expect(unknown.json.message).toMatch(/'nope'/);
    const column = await h.query({ sql: 'SELECT nope FROM orders' });
    expect(column.status).toBe(400);
    expect(column.json.code).toBe('AIDA_QUERY_FAILED');
    expect(column.json.message).toMatch(/Binder Error.*nope/s);
    const conversion = await h.query({ sql: "SELECT 'abc'::INTEGER" });
    expect(conversion.status).toBe(400);
    expect(conversion.json.message).toMatch(/Conversion Error/);
    // A failure after many rows still reaches a JSON client with the engine's message.
    const late = await h.query({ sql: "SELECT CASE WHEN range < 50000 THEN range ELSE error('boom') END AS x FROM range(60000)", limit: 100_000 });
    expect(late.status).toBe(400);
    expect(late.json.message).toMatch(/boom/);
    const syntax = await h.query({ sql: 'SELEC 1' });
    expect(syntax.status).toBe(400);
    expect(syntax.json.code).toBe('AIDA_QUERY_SYNTAX');
    const params = await h.query({ sql: 'SELECT ?' });
    expect(params.status).toBe(400);
    expect(params.json.code).toBe('AIDA_QUERY_PARAMETERS');
  });

  it('explains every malformed body', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /sql/],
      [{ sql: 42 }, /sql/],
      [{ sql: '' }, /empty/],
      [{ sql: '   -- nothing' }, /no statement|empty/],
      [{ sql: 'SELECT 1', limit: -1 }, /limit/],
      [{ sql: 'SELECT 1', limit: 1.5 }, /limit/],
      [{ sql: 'SELECT 1', limit: '10' }, /limit/],
      [{ sql: 'SELECT 1', format: 'xml' }, /format.*json, ndjson, csv, parquet/],
      [{ sql: 'SELECT 1', limt: 10 }, /limt/],
      [{ sql: `SELECT '${'x'.repeat(100_001)}'` }, /characters/],
    ];
    for (const [b, message] of cases) {
      const r = await h.query(b);
      expect(r.status, JSON.stringify(b).slice(0, 80)).toBe(400);
      expect(r.json.message, JSON.stringify(b).slice(0, 80)).toMatch(message);
    }
  });
});

describe('POST /api/query: streaming formats', () => {
  it('CSV: header, RFC 4180 quoting, NULL as an empty field', async () => {
    const r = await h.query({ sql: 'SELECT id, amount, note, ordered_on FROM orders ORDER BY id', format: 'csv' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(/attachment/);
    expect(parseCsv(r.text)).toEqual([
      ['id', 'amount', 'note', 'ordered_on'],
      ['1', '10.5', 'first', '2024-01-05'],
      ['2', '20.0', 'with, comma', '2024-01-20'].map((x) => (x === '20.0' ? '20' : x)),
      ['3', '', '', '2024-02-10'],
      ['4', '40.25', 'say "hi"', '2024-02-11'],
      ['5', '50', 'last', '2024-04-15'],
    ]);
    const tricky = await h.query({ sql: `SELECT 'a\nb' AS "multi line", '' AS empty, ' padded ' AS pad, 12.50::DECIMAL(10,2) AS d, 9007199254740993::BIGINT AS big, [1, 2] AS l`, format: 'csv' });
    expect(parseCsv(tricky.text)).toEqual([
      ['multi line', 'empty', 'pad', 'd', 'big', 'l'],
      ['a\nb', '', ' padded ', '12.50', '9007199254740993', '[1,2]'],
    ]);
    expect(tricky.text.split('\n')[1]).toBe('"a');
    expect(tricky.text).toContain(',"",');
  });

  it('NDJSON: one object per row, duplicate names made unique', async () => {
    const r = await h.query({ sql: 'SELECT o.id, c.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id', format: 'ndjson' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = r.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toEqual({ id: 1, id_1: 1, name: 'Alice' });
    expect(r.text.endsWith('\n')).toBe(true);
  });

  it('takes the format from Accept when the body names none; the body wins', async () => {
    const csv = await post({ sql: 'SELECT 1 AS x' }, { accept: 'text/csv' });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await csv.text()).toBe('x\n1\n');
    const nd = await post({ sql: 'SELECT 1 AS x' }, { accept: 'application/x-ndjson' });
    expect(await nd.text()).toBe('{"x":1}\n');
    const pq = await post({ sql: 'SELECT 1 AS x' }, { accept: 'application/vnd.apache.parquet' });
    expect(pq.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect((await readParquet(await pq.arrayBuffer())).rows).toEqual([[1]]);
    const wins = await post({ sql: 'SELECT 1 AS x', format: 'json' }, { accept: 'text/csv' });
    expect(await wins.json()).toMatchObject({ rows: [[1]] });
    const any = await post({ sql: 'SELECT 1 AS x' }, { accept: '*/*' });
    expect(any.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('streaming formats return every row unless a limit is given', async () => {
    const all = await h.query({ sql: 'SELECT * FROM range(5000)', format: 'ndjson' });
    expect(all.text.trimEnd().split('\n')).toHaveLength(5000);
    const some = await h.query({ sql: 'SELECT * FROM range(5000)', format: 'csv', limit: 3 });
    expect(some.text).toBe('range\n0\n1\n2\n');
  });

  it('Parquet: the result read back with DuckDB, streamed with the row count as a trailer, spool removed', async () => {
    const res = await postRaw({ sql: 'SELECT o.id, c.name, o.amount, o.ordered_on FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id', format: 'parquet' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.apache.parquet');
    expect(res.headers.trailer).toBe('X-Row-Count');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.trailers['x-row-count']).toBe('5');
    const bytes = res.body;
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    const back = await readParquet(bytes);
    expect(back.columns).toEqual(['id', 'name', 'amount', 'ordered_on']);
    expect(back.rows.map((r) => [Number(r[0]), r[1], r[2]])).toEqual([
      [1, 'Alice', 10.5],
      [2, 'Bob', 20],
      [3, 'Alice', null],
      [4, 'Carol', 40.25],
      [5, 'Dave', 50],
    ]);
    // Many row groups, sent while the engine writes them: every row arrives, in order.
    const big = await postRaw({ sql: 'SELECT range AS i, md5(range::VARCHAR) AS h FROM range(3000000) ORDER BY i', format: 'parquet' });
    expect(big.trailers['x-row-count']).toBe('3000000');
    const bigBack = await inspectParquet(
      big.body,
      (f) => `SELECT count(*)::INTEGER, bool_and(i = file_row_number), bool_and(h = md5(i::VARCHAR)), (SELECT count(DISTINCT row_group_id)::INTEGER FROM parquet_metadata('${f}'))
        FROM read_parquet('${f}', file_row_number = true)`,
    );
    expect(bigBack.rows[0]?.slice(0, 3)).toEqual([3000000, true, true]);
    expect(bigBack.rows[0]?.[3]).toBeGreaterThan(1);
    const limited = await postRaw({ sql: 'SELECT * FROM range(100) ORDER BY range DESC;', format: 'parquet', limit: 3 });
    expect(limited.trailers['x-row-count']).toBe('3');
    expect((await readParquet(limited.body)).rows.map((r) => Number(r[0]))).toEqual([99, 98, 97]);
    const dup = await post({ sql: 'SELECT 1 AS a, 2 AS a -- same name twice', format: 'parquet' });
    expect((await readParquet(await dup.arrayBuffer())).columns).toEqual(['a', 'a_1']);
    // The spool goes when the server's stream closes, a moment after the body ends.
    const scratch = join(h.t.dataDir, 'tmp', 'query');
    const leftover = async () => (existsSync(scratch) ? (await readdir(scratch)).filter((f) => f.endsWith('.spool')) : []);
    for (const until = Date.now() + 5000; (await leftover()).length && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    const left = await leftover();
    expect(left).toEqual([]);
  });

  it('Parquet goes through the same checks, and refuses text it cannot enclose', async () => {
    const forbidden = await h.query({ sql: 'SELECT * FROM salaries', format: 'parquet' });
    expect(forbidden.status).toBe(403);
    const reader = await h.query({ sql: "SELECT * FROM read_parquet('x.parquet')", format: 'parquet' });
    expect(reader.status).toBe(400);
    const copy = await h.query({ sql: "COPY orders TO '/tmp/x.parquet'", format: 'parquet' });
    expect(copy.status).toBe(400);
    // A trailing comment or semicolon is fine…
    const trailing = await post({ sql: 'SELECT 1 AS x; -- done\n/* really */', format: 'parquet' });
    expect((await readParquet(await trailing.arrayBuffer())).rows).toEqual([[1]]);
    // …but a text that would not stay itself inside parentheses is refused (JSON just streams it).
    const odd = await h.query({ sql: "SELECT '--' AS x; -- note", format: 'parquet' });
    expect(odd.status).toBe(400);
    expect(odd.json.code).toBe('AIDA_QUERY_NOT_ENCLOSABLE');
    const json = await h.query({ sql: "SELECT '--' AS x; -- note" });
    expect(json.json.rows).toEqual([['--']]);
  });

  it('an error after the response has started cuts the body off instead of ending it cleanly', async () => {
    const res = await post({ sql: "SELECT CASE WHEN range < 3000000 THEN range ELSE error('boom') END AS x FROM range(3000001)", format: 'ndjson' });
    if (res.status === 200) {
      await expect(res.text()).rejects.toThrow();
    } else {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/boom/);
    }
    // The server is fine afterwards.
    expect((await h.query({ sql: 'SELECT 1' })).status).toBe(200);
  });

  it('streams a large NDJSON export with bounded memory', async () => {
    const rows = 3_000_000;
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const res = await post({ sql: `SELECT range AS i, repeat('x', 100) AS pad FROM range(${rows})`, format: 'ndjson' });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let lines = 0;
    let bytes = 0;
    let firstAt = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!firstAt) firstAt = bytes + 1;
      bytes += value.byteLength;
      for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(lines).toBe(rows);
    // About 350 MB went over the wire; holding it (as JS strings, twice that) is far above this.
    expect(bytes).toBeGreaterThan(300_000_000);
    expect(peak - base).toBeLessThan(200 * 1024 * 1024);
  }, 120_000);
});
