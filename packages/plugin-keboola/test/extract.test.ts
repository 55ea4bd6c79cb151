import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ExtractWriter, queryRows, readExtract, type CommitSummary, type ExtractReport } from '@aida/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeboolaConnector } from '../src/connector.js';
import { FAKE_SECRETS, FakeKeboola, type FakeTable } from '../src/testing/fake-keboola.js';
import { TOKEN, captureLogger, clientFor, orderRow, ordersTable, parseConfig } from './helpers.js';

const ORDERS = 'in.c-sales.orders';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('Keboola extraction into the extract contract', () => {
  let fake: FakeKeboola;
  let dir: string;
  let db: DuckDBInstance;
  let conn: DuckDBConnection;
  let log: ReturnType<typeof captureLogger>;

  const sourceDir = () => join(dir, 'extracts', 'keboola');

  async function sync(extra: Record<string, unknown>, tables?: string[]): Promise<{ report: ExtractReport; summary: CommitSummary }> {
    const config = parseConfig(fake, extra);
    const connector = new KeboolaConnector(config, clientFor(config, log.logger));
    const writer = await ExtractWriter.open(sourceDir());
    try {
      const report = await connector.extract({ tables, writer, signal: new AbortController().signal, logger: log.logger });
      return { report, summary: await writer.commit() };
    } catch (e) {
      await writer.abort();
      throw e;
    }
  }

  const files = async (table: string) => (await readExtract(conn, join(sourceDir(), 'extract.duckdb'))).files.filter((f) => f.table_name === table);
  const rows = async <T = Record<string, unknown>>(table: string, sql = 'SELECT * FROM t ORDER BY id') => {
    const paths = (await files(table)).map((f) => `'${join(sourceDir(), f.path)}'`);
    return queryRows<T>(conn, sql.replace(/\bt\b/, `read_parquet([${paths.join(', ')}])`));
  };

  beforeAll(async () => {
    fake = await FakeKeboola.start(TOKEN);
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
  });
  afterAll(async () => {
    conn?.closeSync();
    db?.closeSync();
    await fake?.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbc-extract-'));
    log = captureLogger();
    fake.tables.clear();
    fake.injections.length = 0;
    fake.requests.length = 0;
    fake.down = false;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a full sync of a sliced export writes Parquet with every row and Keboola types mapped (unknown type → VARCHAR + warning)', async () => {
    fake.addTable(ordersTable(30, { slices: 4 }));
    fake.upsert(ORDERS, [orderRow(29, { created_at: '2024-03-02T12:30:00+02:00' }), orderRow(30, { created_at: '2024-01-03T10:00:00Z' })]);
    const { report } = await sync({ tables: [{ id: ORDERS }] });
    expect(report.tables).toEqual([expect.objectContaining({ name: 'orders', status: 'ok', rows: 30 })]);
    expect(report.tables[0].error).toBeUndefined();
    expect(report.tables[0].warnings?.[0]).toMatch(/^column location: unknown Keboola base type "GEOGRAPHY", stored as VARCHAR/);
    const [file] = await files('orders');
    const types = await queryRows<{ column_name: string; column_type: string }>(conn, `DESCRIBE SELECT * FROM read_parquet('${join(sourceDir(), file.path)}')`);
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual({
      id: 'BIGINT',
      customer: 'VARCHAR',
      amount: 'DECIMAL(12,2)',
      qty: 'BIGINT',
      ratio: 'DOUBLE',
      paid: 'BOOLEAN',
      order_date: 'DATE',
      created_at: 'TIMESTAMP',
      note: 'VARCHAR',
      location: 'VARCHAR',
    });
    const all = await rows<{
      id: number;
      customer: string;
      amount: number;
      qty: number | null;
      paid: boolean;
      note: string;
      order_date: Date;
      created_at: Date;
    }>('orders');
    expect(all.map((r) => r.id)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const r4 = all[3];
    expect(r4).toMatchObject({ customer: 'customer "4", inc', amount: 5, paid: false, note: '' });
    expect(all[4].qty).toBeNull(); // '' in a typed column is NULL
    expect(all[0].note).toBe('line one\nline two 1'); // quoted newlines survive
    expect(all[0].created_at.toISOString()).toBe('2024-02-02T10:00:00.000Z');
    expect(all[28].created_at.toISOString()).toBe('2024-03-02T10:30:00.000Z'); // offsets are converted to UTC
    expect(all[29].created_at.toISOString()).toBe('2024-01-03T10:00:00.000Z');
    expect(log.text()).toMatch(/GEOGRAPHY/);
  });

  it('a row with a CR, LF or CRLF inside a quoted value at the start of a slice (or in the middle) loads, whatever the slicing', async () => {
    const values = ['a\r\nb', 'mid\rdle', 'x\ny', 'c\rd', '\r\n', 'end\r', 'e\nf', 'g\r\nh\ri\nj', '\r'];
    const table = (slices?: number): FakeTable => ({
      id: 'in.c-crm.notes',
      columns: ['id', 'note'],
      primaryKey: ['id'],
      types: { id: { basetype: 'INTEGER' }, note: { basetype: 'STRING' } },
      rows: values.map((note, i) => ({ values: { id: String(i + 1), note }, changedAt: 0 })),
      ...(slices ? { slices } : {}),
    });
    // 3 slices of 3 rows start with CRLF, CR and LF values; 9 slices start every row; non-sliced has a header first.
    for (const slices of [3, 9, undefined]) {
      fake.addTable(table(slices));
      const { report } = await sync({ tables: [{ id: 'in.c-crm.notes' }] });
      expect(report.tables[0]).toMatchObject({ status: 'ok', rows: values.length });
      expect((await rows<{ note: string }>('notes')).map((r) => r.note)).toEqual(values);
    }
  });

  it('typed tables keep NULL (a bare empty field) and the empty string ("") apart in string columns; non-typed tables keep empty strings', async () => {
    const data: Record<string, string | null>[] = [
      { id: '1', name: null, city: '', qty: null },
      { id: '2', name: '', city: null, qty: '5' },
      { id: '3', name: 'Ann', city: 'Brno', qty: null },
      { id: '4', name: null, city: '', qty: '7' },
    ];
    const customers = (o: Partial<FakeTable>): FakeTable => ({
      id: 'in.c-crm.customers',
      columns: ['id', 'name', 'city', 'qty'],
      primaryKey: ['id'],
      types: { id: { basetype: 'INTEGER' }, name: { basetype: 'STRING' }, qty: { basetype: 'INTEGER' } },
      rows: data.map((values) => ({ values, changedAt: 0 })),
      ...o,
    });
    const read = () =>
      rows<{ id: number; name: string | null; city: string | null; qty: number | null }>('customers', 'SELECT id, name, city, qty FROM t ORDER BY id');
    // Slices of 1 and 2 rows put NULLs and empty strings at slice starts; undefined = non-sliced.
    for (const slices of [4, 2, undefined]) {
      fake.addTable(customers({ typed: true, ...(slices ? { slices } : {}) }));
      const { report } = await sync({ tables: [{ id: 'in.c-crm.customers' }] });
      expect(report.tables[0]).toMatchObject({ status: 'ok', rows: 4 });
      expect(await read()).toEqual([
        { id: 1, name: null, city: '', qty: null },
        { id: 2, name: '', city: null, qty: 5 },
        { id: 3, name: 'Ann', city: 'Brno', qty: null },
        { id: 4, name: null, city: '', qty: 7 },
      ]);
    }
    // The same rows in a non-typed table: no NULLs at Keboola, empty stays '' in string columns, '' is NULL in typed ones.
    fake.addTable(customers({ slices: 2 }));
    await sync({ tables: [{ id: 'in.c-crm.customers' }] });
    expect(await read()).toEqual([
      { id: 1, name: '', city: '', qty: null },
      { id: 2, name: '', city: '', qty: 5 },
      { id: 3, name: 'Ann', city: 'Brno', qty: null },
      { id: 4, name: '', city: '', qty: 7 },
    ]);
  });

  it('typed tables: an empty string in a string column converted with column_types is a bad value, named with the way out; NULL converts', async () => {
    fake.addTable({
      id: 'in.c-crm.codes',
      columns: ['id', 'code'],
      primaryKey: ['id'],
      typed: true,
      types: { id: { basetype: 'INTEGER' }, code: { basetype: 'STRING' } },
      rows: [
        { values: { id: '1', code: '12' }, changedAt: 0 },
        { values: { id: '2', code: null }, changedAt: 0 },
        { values: { id: '3', code: '' }, changedAt: 0 },
      ],
      slices: 2,
    });
    const { report } = await sync({ tables: [{ id: 'in.c-crm.codes', column_types: { code: 'BIGINT' } }] });
    expect(report.tables[0].status).toBe('error');
    expect(report.tables[0].error).toMatch(
      /column code \(Keboola STRING → BIGINT\): 1 value\(s\) cannot be converted, e.g. ""; .*column_types: \{ code: VARCHAR \}/,
    );
    fake.tables.get('in.c-crm.codes')!.rows.pop();
    const fixed = await sync({ tables: [{ id: 'in.c-crm.codes', column_types: { code: 'BIGINT' } }] });
    expect(fixed.report.tables[0]).toMatchObject({ status: 'ok', rows: 2 });
    expect(await rows<{ id: number; code: number | null }>('codes')).toEqual([
      { id: 1, code: 12 },
      { id: 2, code: null },
    ]);
  });

  it('an incremental run after upstream inserts and updates ends with one row per key carrying the new values; changedSince = last sync − overlap', async () => {
    fake.addTable(ordersTable(20, { slices: 2 }));
    const cfg = { tables: [{ id: ORDERS, strategy: 'incremental', incremental_overlap: '10m' }] };
    const first = await sync(cfg);
    expect(first.report.tables[0]).toMatchObject({ status: 'ok', rows: 20 });
    expect(fake.exportRequests()[0].body?.changedSince).toBeUndefined(); // nothing to merge into yet: full export
    const lastSync = first.summary.tables.find((t) => t.table_name === 'orders')!.extracted_at;

    fake.upsert(ORDERS, [orderRow(3, { amount: '999.99', note: 'updated' }), orderRow(7, { paid: 'true' }), orderRow(21), orderRow(22)]);
    const second = await sync(cfg);
    expect(second.report.tables[0]).toMatchObject({ status: 'ok', rows: 22 });
    const sent = fake.exportRequests()[1].body!;
    expect(sent.changedSince).toBe(String(Math.floor((lastSync.getTime() - 600_000) / 1000)));

    const all = await rows<{ id: number; amount: number; note: string; paid: boolean }>('orders');
    expect(all.map((r) => r.id)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(all.find((r) => r.id === 3)).toMatchObject({ amount: 999.99, note: 'updated' });
    expect(all.find((r) => r.id === 7)!.paid).toBe(true);
    const [{ n, d }] = await rows<{ n: number; d: number }>('orders', 'SELECT count(*) AS n, count(DISTINCT id) AS d FROM t');
    expect(n).toBe(d);
  });

  it('an incremental table without any primary key fails with a clear message', async () => {
    fake.addTable(ordersTable(5, { primaryKey: [] }));
    const { report } = await sync({ tables: [{ id: ORDERS, strategy: 'incremental' }] });
    expect(report.tables[0]).toMatchObject({ status: 'error', error: expect.stringMatching(/needs a primary key.*set primary_key/) });
  });

  it('partitioned by month: only the parts whose rows changed are rewritten, a row that moves leaves its old part', async () => {
    fake.addTable(ordersTable(30));
    const cfg = { tables: [{ id: ORDERS, strategy: 'partitioned', partition_by: { column: 'order_date', granularity: 'month' } }] };
    await sync(cfg);
    const before = Object.fromEntries((await files('orders')).map((f) => [f.part, f.path]));
    expect(Object.keys(before).sort()).toEqual(['2024-01', '2024-02', '2024-03']);

    // id 4 is in February (month = 1 + 4 % 3): change it. id 3 moves from January to March.
    fake.upsert(ORDERS, [orderRow(4, { note: 'changed' }), orderRow(3, { order_date: '2024-03-15' })]);
    const { report } = await sync(cfg);
    expect(report.tables[0]).toMatchObject({ status: 'ok', rows: 30 });
    const after = Object.fromEntries((await files('orders')).map((f) => [f.part, f.path]));
    expect(after['2024-01']).not.toBe(before['2024-01']);
    expect(after['2024-02']).not.toBe(before['2024-02']);
    expect(after['2024-03']).not.toBe(before['2024-03']);

    // Now a change in February only: January and March keep their files.
    fake.upsert(ORDERS, [orderRow(7, { note: 'feb again' })]);
    await sync(cfg);
    const third = Object.fromEntries((await files('orders')).map((f) => [f.part, f.path]));
    expect(third['2024-01']).toBe(after['2024-01']);
    expect(third['2024-03']).toBe(after['2024-03']);
    expect(third['2024-02']).not.toBe(after['2024-02']);

    const all = await rows<{ id: number; note: string; order_date: Date }>('orders');
    expect(all).toHaveLength(30);
    expect(all.find((r) => r.id === 3)!.order_date.toISOString()).toBe('2024-03-15T00:00:00.000Z');
    expect(all.find((r) => r.id === 7)!.note).toBe('feb again');
    const [{ n }] = await rows<{ n: number }>('orders', `SELECT count(*) AS n FROM t WHERE id = 3`);
    expect(n).toBe(1);
  });

  it('partitioned without a primary key: the whole table is exported and only parts with different content are rewritten', async () => {
    fake.addTable(ordersTable(30, { primaryKey: [] }));
    const cfg = { tables: [{ id: ORDERS, strategy: 'partitioned', partition_by: { column: 'created_at', granularity: 'day' } }] };
    await sync(cfg);
    const before = Object.fromEntries((await files('orders')).map((f) => [f.part, f.path]));
    expect(Object.keys(before)).toContain('2024-02-02');
    const t = fake.tables.get(ORDERS)!;
    t.rows[0] = { values: orderRow(1, { note: 'edited' }), changedAt: Date.now() }; // id 1 → 2024-02-02
    await sync(cfg);
    expect(fake.exportRequests()[1].body?.changedSince).toBeUndefined();
    const after = Object.fromEntries((await files('orders')).map((f) => [f.part, f.path]));
    const changed = Object.keys(after).filter((p) => after[p] !== before[p]);
    expect(changed).toEqual(['2024-02-02']);
  });

  it('a failed export job and a truncated slice are per-table errors; the previous Parquet stays and other tables still sync', async () => {
    fake.addTable(ordersTable(12, { slices: 3 }));
    const customers: FakeTable = {
      id: 'in.c-crm.customers',
      columns: ['id', 'name'],
      primaryKey: ['id'],
      rows: [{ values: { id: '1', name: 'Ann' }, changedAt: 0 }],
    };
    const events: FakeTable = { id: 'in.c-web.events', columns: ['id'], primaryKey: [], rows: [{ values: { id: 'e1' }, changedAt: 0 }], slices: 2 };
    fake.addTable(customers);
    fake.addTable(events);
    const cfg = { tables: [{ id: ORDERS }, { id: 'in.c-crm.customers' }, { id: 'in.c-web.events' }] };
    await sync(cfg);
    const prev = { orders: await files('orders'), events: await files('events') };
    const prevBytes = sha256(await readFile(join(sourceDir(), prev.orders[0].path)));

    fake.tables.get(ORDERS)!.failExport = 'Table export failed: warehouse unavailable';
    fake.upsert('in.c-crm.customers', [{ id: '2', name: 'Bob' }]);
    fake.upsert('in.c-web.events', [{ id: 'e2' }]);
    fake.inject({ server: 's3', path: /_part_00$/, truncate: true, times: 1000 });
    const { report } = await sync({ ...cfg, retries: { max: 1, base_delay: '10ms', max_delay: '20ms' } });
    const byName = Object.fromEntries(report.tables.map((t) => [t.name, t]));
    expect(byName.orders).toMatchObject({
      status: 'error',
      error: expect.stringMatching(
        /in.c-sales.orders: Keboola export of in.c-sales.orders job \d+ failed: Table export failed: warehouse unavailable.*previous data is kept|failed: Table export failed/,
      ),
    });
    expect(byName.events).toMatchObject({ status: 'error', error: expect.stringMatching(/truncated or corrupt gzip/) });
    expect(byName.customers).toMatchObject({ status: 'ok', rows: 2 });
    expect(await files('orders')).toEqual(prev.orders);
    expect(await files('events')).toEqual(prev.events);
    expect(sha256(await readFile(join(sourceDir(), prev.orders[0].path)))).toBe(prevBytes);
    // Staging folders of the downloads are gone.
    expect((await import('node:fs')).readdirSync(sourceDir()).filter((n) => n.startsWith('.staging'))).toEqual([]);
  });

  it('rides out 429s, 5xx and a slow answer during an extraction', async () => {
    fake.addTable(ordersTable(10, { slices: 2 }));
    fake.inject({ path: /export-async$/, status: 429, retryAfter: '0' });
    fake.inject({ path: /^\/v2\/storage\/jobs\//, status: 502, times: 2 });
    fake.inject({ path: /^\/v2\/storage\/files\//, delayMs: 3000 });
    fake.inject({ server: 's3', path: /_part_00$/, status: 503, retryAfter: '0' });
    const { report } = await sync({ tables: [{ id: ORDERS }], timeouts: { request: '1s', poll_initial: '10ms', poll_max: '50ms' } });
    expect(report.tables[0]).toMatchObject({ status: 'ok', rows: 10 });
    expect(fake.exportRequests()).toHaveLength(2);
  });

  it('a value that does not fit its Keboola type fails the table, naming the column and the way out', async () => {
    fake.addTable(ordersTable(5));
    fake.upsert(ORDERS, [orderRow(2, { qty: 'lots' })]);
    const { report } = await sync({ tables: [{ id: ORDERS }] });
    expect(report.tables[0].status).toBe('error');
    expect(report.tables[0].error).toMatch(
      /column qty \(Keboola INTEGER → BIGINT\): 1 value\(s\) cannot be converted, e.g. "lots"; .*column_types: \{ qty: VARCHAR \}/,
    );
    const fixed = await sync({ tables: [{ id: ORDERS, column_types: { qty: 'varchar' } }] });
    expect(fixed.report.tables[0]).toMatchObject({ status: 'ok', rows: 5 });
  });

  it('an unreachable stack fails the whole extraction (the host keeps the previous extract)', async () => {
    fake.addTable(ordersTable(3));
    await sync({ tables: [{ id: ORDERS }] });
    const before = sha256(await readFile(join(sourceDir(), 'extract.duckdb')));
    fake.down = true;
    await expect(sync({ tables: [{ id: ORDERS }], retries: { max: 1, base_delay: '10ms', max_delay: '10ms' } })).rejects.toThrow(
      /cannot list the tables of Keboola project .* answered 500/,
    );
    expect(sha256(await readFile(join(sourceDir(), 'extract.duckdb')))).toBe(before);
  });

  it('bucket filters pick tables by bucket glob; a missing configured table is an error that keeps its data; unselected tables leave the extract', async () => {
    fake.addTable(ordersTable(3));
    fake.addTable({ id: 'in.c-crm.customers', columns: ['id'], primaryKey: ['id'], rows: [{ values: { id: '1' }, changedAt: 0 }] });
    fake.addTable({ id: 'in.c-crm.leads', columns: ['id'], primaryKey: [], rows: [] });
    const first = await sync({ tables: [{ id: ORDERS, name: 'shop_orders' }], buckets: [{ id: 'in.c-c*' }] });
    expect(first.report.tables.map((t) => `${t.name}:${t.status}:${t.rows}`).sort()).toEqual(['customers:ok:1', 'leads:ok:0', 'shop_orders:ok:3']);
    fake.tables.delete(ORDERS);
    const second = await sync({ tables: [{ id: ORDERS, name: 'shop_orders' }], buckets: [{ id: 'in.c-crm', exclude: ['in.c-crm.leads'] }] });
    expect(second.report.tables.find((t) => t.name === 'shop_orders')).toMatchObject({ status: 'error', error: expect.stringMatching(/not found/) });
    expect(second.summary.tables.map((t) => t.table_name).sort()).toEqual(['customers', 'shop_orders']);
  });

  it('syncs only the requested tables when the host names some', async () => {
    fake.addTable(ordersTable(3));
    fake.addTable({ id: 'in.c-crm.customers', columns: ['id'], primaryKey: ['id'], rows: [{ values: { id: '1' }, changedAt: 0 }] });
    const { report } = await sync({ tables: [{ id: ORDERS }, { id: 'in.c-crm.customers' }] }, ['customers']);
    expect(report.tables.map((t) => t.name)).toEqual(['customers']);
    expect(fake.exportRequests()).toHaveLength(1);
  });

  it('never writes the token or storage secrets to a log line or a table error', async () => {
    fake.addTable(ordersTable(6, { slices: 2 }));
    fake.inject({
      path: /export-async$/,
      status: 400,
      body: JSON.stringify({ error: `Invalid token ${TOKEN}`, code: 'storage.tokenInvalid', status: 'error' }),
    });
    const { report } = await sync({ tables: [{ id: ORDERS }] });
    fake.inject({ server: 's3', path: /_part_00$/, status: 500, times: 100 });
    const again = await sync({ tables: [{ id: ORDERS }], retries: { max: 2, base_delay: '10ms', max_delay: '10ms' } });
    const text = JSON.stringify([report, again.report]) + log.text();
    expect(report.tables[0].status).toBe('error');
    expect(again.report.tables[0].status).toBe('error');
    expect(log.lines.length).toBeGreaterThan(3);
    for (const s of [TOKEN, ...FAKE_SECRETS]) expect(text).not.toContain(s);
    expect(existsSync(join(sourceDir(), 'extract.duckdb'))).toBe(true);
  });
});
