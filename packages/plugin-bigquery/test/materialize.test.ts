// Materialized tables against the fake: the cost cap (only a dry run, no job), paging with
// several pages in flight and with the pageToken chain, incremental merges from the stored
// watermark, BigQuery partitions as AIDA parts, and a failed table keeping its previous files.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeBigQuery } from '../src/testing/index.js';
import { connectorFor, extractInto, parseConfig, readTable, startFake, tempDir } from './helpers.js';

let fake: FakeBigQuery;
let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeEach(async () => {
  fake = await startFake();
  tmp = await tempDir();
});
afterEach(async () => {
  await fake.close();
  await tmp.cleanup();
});

const ORDERS_SCHEMA = [
  { name: 'id', type: 'INT64', mode: 'REQUIRED' },
  { name: 'customer', type: 'STRING' },
  { name: 'amount', type: 'NUMERIC' },
  { name: 'updated_at', type: 'TIMESTAMP' },
] as const;

function order(id: number, updatedAt: string, amount = `${id}.50`) {
  return { id, customer: `c${id % 3}`, amount, updated_at: updatedAt };
}

/** The non-dry-run query jobs the fake received. */
function realJobs() {
  return fake.queryLog.filter((q) => !q.dryRun);
}

describe('the cost cap on materialization', () => {
  it('fails a table whose dry run scans more than max_materialize_bytes, runs no job for it, keeps its files, and goes on with the others', async () => {
    fake.addTable({ datasetId: 'sales', tableId: 'orders', schema: [...ORDERS_SCHEMA], rows: [order(1, '2024-05-01T00:00:00Z')] });
    const big = fake.addTable({ datasetId: 'sales', tableId: 'events', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }] });
    const tables = [{ id: 'sales.orders' }, { id: 'sales.events' }];
    await extractInto(connectorFor(parseConfig(fake, { tables })).connector, tmp.dir);
    const before = await readTable(tmp.dir, 'bigquery', 'events');
    expect(before.rows).toEqual([{ id: '1' }]);

    // Now events reports 12 GiB: over the 10 GiB default.
    fake.addTable({ datasetId: 'sales', tableId: 'huge', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }], numBytes: 12 * 1024 ** 3 });
    big.replace([{ id: 1 }, { id: 2 }]);
    fake.queryLog.length = 0;
    const report = await extractInto(connectorFor(parseConfig(fake, { tables: [...tables, { id: 'sales.huge' }] })).connector, tmp.dir);

    const huge = report.tables.find((t) => t.name === 'huge')!;
    expect(huge.status).toBe('error');
    expect(huge.error).toMatch(
      /BigQuery table acme-analytics\.sales\.huge: the query would scan 12\.0 GB, more than limits\.max_materialize_bytes \(10\.0 GB\); no job was run/,
    );
    const hugeQueries = fake.queryLog.filter((q) => q.sql.includes('sales.huge'));
    expect(hugeQueries.map((q) => q.dryRun)).toEqual([true]);
    expect(realJobs().map((q) => q.sql)).toEqual(['SELECT * FROM `acme-analytics.sales.orders`', 'SELECT * FROM `acme-analytics.sales.events`']);
    expect(report.tables.filter((t) => t.name !== 'huge').every((t) => t.status === 'ok')).toBe(true);
    expect((await readTable(tmp.dir, 'bigquery', 'events')).rows).toEqual([{ id: '1' }, { id: '2' }]);
    expect((await readTable(tmp.dir, 'bigquery', 'huge')).meta).toBeUndefined();
  });

  it('a table over the cap keeps the files of its last successful sync', async () => {
    const t = fake.addTable({ datasetId: 'sales', tableId: 'orders', schema: [...ORDERS_SCHEMA], rows: [order(1, '2024-05-01T00:00:00Z')] });
    await extractInto(connectorFor(parseConfig(fake, { tables: [{ id: 'sales.orders' }] })).connector, tmp.dir);
    const before = await readTable(tmp.dir, 'bigquery', 'orders');
    t.insert([order(2, '2024-05-02T00:00:00Z')]);
    const capped = parseConfig(fake, { tables: [{ id: 'sales.orders' }], limits: { max_materialize_bytes: '10B' } });
    const report = await extractInto(connectorFor(capped).connector, tmp.dir);
    expect(report.tables[0]).toMatchObject({ name: 'orders', status: 'error' });
    const after = await readTable(tmp.dir, 'bigquery', 'orders');
    expect(after.files).toEqual(before.files);
    expect(after.rows).toHaveLength(1);
  });
});

describe('paging', () => {
  it('reads every row once, in order, with several pages in flight (startIndex ranges) and along the pageToken chain alike', async () => {
    fake.addGeneratedTable({ datasetId: 'sales', tableId: 'events', rows: 12_345 });
    const tables = [{ id: 'sales.events', name: 'parallel' }];
    const parallel = await extractInto(connectorFor(parseConfig(fake, { tables, page_size: 1000, pages_in_flight: 4 })).connector, tmp.dir);
    expect(parallel.tables[0]).toMatchObject({ status: 'ok', rows: 12_345 });
    const pages = fake.requests.filter((r) => r.method === 'GET' && r.path.includes('/queries/'));
    // The first page comes with the wait for the job; the other 11,345 rows are 12 ranges of at most 1000.
    expect(pages.filter((r) => r.query.startIndex !== undefined)).toHaveLength(12);
    expect(pages.every((r) => r.query['formatOptions.useInt64Timestamp'] === 'true')).toBe(true);

    fake.requests.length = 0;
    const chainedConfig = parseConfig(fake, { source: 'chained', tables: [{ id: 'sales.events', name: 'chained' }], page_size: 1000, pages_in_flight: 1 });
    const chained = await extractInto(connectorFor(chainedConfig).connector, tmp.dir);
    expect(chained.tables[0]).toMatchObject({ status: 'ok', rows: 12_345 });
    const tokens = fake.requests.filter((r) => r.method === 'GET' && r.path.includes('/queries/') && r.query.pageToken !== undefined);
    expect(tokens).toHaveLength(12);

    const a = await readTable(tmp.dir, 'bigquery', 'parallel');
    const b = await readTable(tmp.dir, 'chained', 'chained');
    expect(a.rows.map((r) => r.id)).toEqual(Array.from({ length: 12_345 }, (_, i) => String(i + 1)));
    expect(b.files[0].sha256).toBe(a.files[0].sha256);
  });

  it('asks again for the rest of a page BigQuery cut short', async () => {
    // Rows of ~1 MB: the fake cuts a page at 10 MB, so a range of 25 rows comes back in parts.
    const big = 'x'.repeat(1024 * 1024);
    fake.addTable({
      datasetId: 'sales',
      tableId: 'blobs',
      schema: [
        { name: 'id', type: 'INT64' },
        { name: 'body', type: 'STRING' },
      ],
      rows: Array.from({ length: 30 }, (_, i) => ({ id: i, body: big })),
    });
    const report = await extractInto(
      connectorFor(parseConfig(fake, { tables: [{ id: 'sales.blobs' }], page_size: 25, pages_in_flight: 2 })).connector,
      tmp.dir,
    );
    expect(report.tables[0]).toMatchObject({ status: 'ok', rows: 30 });
    const t = await readTable(tmp.dir, 'bigquery', 'blobs');
    expect(t.rows.map((r) => Number(r.id))).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(t.rows.every((r) => r.body === big)).toBe(true);
  });
});

describe('incremental tables', () => {
  const incremental = { id: 'sales.orders', strategy: 'incremental', incremental_column: 'updated_at', primary_key: ['id'], overlap: '1h' };

  it('fetch the rows above the stored maximum less the overlap and merge them by primary key', async () => {
    const t = fake.addTable({
      datasetId: 'sales',
      tableId: 'orders',
      schema: [...ORDERS_SCHEMA],
      rows: [order(1, '2024-05-01T10:00:00Z'), order(2, '2024-05-01T11:00:00Z'), order(3, '2024-05-01T12:00:00.250Z')],
    });
    const config = parseConfig(fake, { tables: [incremental] });
    const first = await extractInto(connectorFor(config).connector, tmp.dir);
    expect(first.tables[0]).toMatchObject({ status: 'ok', rows: 3 });
    expect(realJobs()[0].sql).toBe('SELECT * FROM `acme-analytics.sales.orders`');

    // Order 3 changes, order 4 arrives; order 1 changes too, but with an old updated_at (not fetched).
    t.replace([
      order(1, '2024-05-01T10:00:00Z', '999'),
      order(2, '2024-05-01T11:00:00Z'),
      order(3, '2024-05-01T13:00:00Z', '3.75'),
      order(4, '2024-05-01T14:00:00Z'),
    ]);
    fake.queryLog.length = 0;
    fake.requests.length = 0;
    const second = await extractInto(connectorFor(config).connector, tmp.dir);
    expect(second.tables[0]).toMatchObject({ status: 'ok', rows: 4 });
    expect(realJobs()[0].sql).toBe('SELECT * FROM `acme-analytics.sales.orders` WHERE `updated_at` > @aida_since');
    const insert = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/jobs') && !JSON.stringify(r.body).includes('"dryRun":true'))!;
    expect((insert.body as { configuration: { query: { queryParameters: unknown } } }).configuration.query.queryParameters).toEqual([
      { name: 'aida_since', parameterType: { type: 'TIMESTAMP' }, parameterValue: { value: '2024-05-01 11:00:00.250000+00:00' } },
    ]);
    const stored = await readTable(tmp.dir, 'bigquery', 'orders', 'id');
    expect(stored.rows.map((r) => [r.id, r.amount, r.updated_at])).toEqual([
      ['1', '1.500000000', '2024-05-01 10:00:00+00'],
      ['2', '2.500000000', '2024-05-01 11:00:00+00'],
      ['3', '3.750000000', '2024-05-01 13:00:00+00'],
      ['4', '4.500000000', '2024-05-01 14:00:00+00'],
    ]);
  });

  it('an unchanged table re-syncs to the same files', async () => {
    fake.addTable({
      datasetId: 'sales',
      tableId: 'orders',
      schema: [...ORDERS_SCHEMA],
      rows: [order(2, '2024-05-01T11:00:00Z'), order(1, '2024-05-01T10:00:00Z')],
    });
    const config = parseConfig(fake, { tables: [incremental] });
    await extractInto(connectorFor(config).connector, tmp.dir);
    const before = await readTable(tmp.dir, 'bigquery', 'orders');
    await extractInto(connectorFor(config).connector, tmp.dir);
    expect((await readTable(tmp.dir, 'bigquery', 'orders')).files.map((f) => f.sha256)).toEqual(before.files.map((f) => f.sha256));
  });

  it('fetch the whole table again when its columns changed since the last sync', async () => {
    fake.addTable({ datasetId: 'sales', tableId: 'orders', schema: [...ORDERS_SCHEMA], rows: [order(1, '2024-05-01T10:00:00Z')] });
    const config = parseConfig(fake, { tables: [incremental] });
    await extractInto(connectorFor(config).connector, tmp.dir);
    fake.addDataset('sales2');
    fake.addTable({
      datasetId: 'sales2',
      tableId: 'orders',
      schema: [...ORDERS_SCHEMA, { name: 'channel', type: 'STRING' }],
      rows: [{ ...order(1, '2024-05-01T10:00:00Z'), channel: 'web' }],
    });
    fake.queryLog.length = 0;
    const report = await extractInto(connectorFor(parseConfig(fake, { tables: [{ ...incremental, id: 'sales2.orders' }] })).connector, tmp.dir);
    expect(report.tables[0]).toMatchObject({ status: 'ok', rows: 1 });
    expect(realJobs()[0].sql).toBe('SELECT * FROM `acme-analytics.sales2.orders`');
    expect((await readTable(tmp.dir, 'bigquery', 'orders')).rows).toEqual([expect.objectContaining({ id: '1', channel: 'web' })]);
  });

  it('keep the stored DECIMAL of an unbounded BIGNUMERIC when the merged rows fit it', async () => {
    const t = fake.addTable({
      datasetId: 'sales',
      tableId: 'rates',
      schema: [
        { name: 'id', type: 'INT64' },
        { name: 'rate', type: 'BIGNUMERIC' },
        { name: 'v', type: 'INT64' },
      ],
      rows: [{ id: 1, rate: '1.25', v: 1 }],
    });
    const config = parseConfig(fake, { tables: [{ id: 'sales.rates', strategy: 'incremental', incremental_column: 'v', primary_key: ['id'] }] });
    await extractInto(connectorFor(config).connector, tmp.dir);
    t.insert([{ id: 2, rate: '7.5', v: 2 }]);
    const report = await extractInto(connectorFor(config).connector, tmp.dir);
    expect(report.tables[0]).toMatchObject({ status: 'ok', rows: 2 });
    const stored = await readTable(tmp.dir, 'bigquery', 'rates', 'id');
    expect(stored.types.rate).toBe('DECIMAL(38,2)');
    expect(stored.rows.map((r) => r.rate)).toEqual(['1.25', '7.50']);
  });

  it('counts an integer watermark back by a number of rows', async () => {
    fake.addTable({
      datasetId: 'sales',
      tableId: 'orders',
      schema: [...ORDERS_SCHEMA],
      rows: [order(1, '2024-05-01T10:00:00Z'), order(7, '2024-05-01T11:00:00Z')],
    });
    const config = parseConfig(fake, { tables: [{ ...incremental, incremental_column: 'id', overlap: 5 }] });
    await extractInto(connectorFor(config).connector, tmp.dir);
    fake.requests.length = 0;
    await extractInto(connectorFor(config).connector, tmp.dir);
    const insert = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/jobs') && !JSON.stringify(r.body).includes('"dryRun":true'))!;
    expect(JSON.stringify(insert.body)).toContain('{"name":"aida_since","parameterType":{"type":"INT64"},"parameterValue":{"value":"2"}}');
  });

  it('refuses an incremental table without a primary key, and an overlap of the wrong kind, as table errors', async () => {
    fake.addTable({ datasetId: 'sales', tableId: 'orders', schema: [...ORDERS_SCHEMA], rows: [order(1, '2024-05-01T10:00:00Z')] });
    const config = parseConfig(fake, {
      tables: [
        { id: 'sales.orders', name: 'no_key', strategy: 'incremental', incremental_column: 'updated_at' },
        { id: 'sales.orders', name: 'bad_overlap', strategy: 'incremental', incremental_column: 'updated_at', primary_key: ['id'], overlap: 10 },
      ],
    });
    const report = await extractInto(connectorFor(config).connector, tmp.dir);
    expect(report.tables.map((t) => [t.name, t.status, t.error])).toEqual([
      ['no_key', 'error', expect.stringMatching(/incremental sync merges by a primary key: set primary_key/)],
      ['bad_overlap', 'error', expect.stringMatching(/incremental_column updated_at is TIMESTAMP: its overlap takes a duration/)],
    ]);
  });
});

describe('partitions', () => {
  it("maps a BigQuery table partitioned by day to an AIDA part per day of its partitioning column (BigQuery's unit by default)", async () => {
    fake.addTable({
      datasetId: 'sales',
      tableId: 'visits',
      schema: [
        { name: 'id', type: 'INT64' },
        { name: 'day', type: 'DATE' },
      ],
      timePartitioning: { type: 'DAY', field: 'day' },
      rows: [
        { id: 1, day: '2024-05-01' },
        { id: 2, day: '2024-05-01' },
        { id: 3, day: '2024-05-02' },
      ],
    });
    fake.addTable({ datasetId: 'sales', tableId: 'plain', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }] });
    const config = parseConfig(fake, {
      tables: [
        { id: 'sales.visits', partition_by: {} },
        { id: 'sales.plain', partition_by: {} },
      ],
    });
    const report = await extractInto(connectorFor(config).connector, tmp.dir);
    expect(report.tables[0]).toMatchObject({ status: 'ok', rows: 3 });
    expect(report.tables[1]).toMatchObject({ status: 'error', error: expect.stringMatching(/not partitioned in BigQuery: set partition_by\.column/) });
    const visits = await readTable(tmp.dir, 'bigquery', 'visits');
    expect(visits.files.map((f) => [f.part, f.rows])).toEqual([
      ['2024-05-01', 2],
      ['2024-05-02', 1],
    ]);
  });
});

describe('failures', () => {
  it('a table whose query fails is reported with BigQuery’s message and keeps its previous files; the next table still syncs', async () => {
    fake.addTable({ datasetId: 'sales', tableId: 'orders', schema: [...ORDERS_SCHEMA], rows: [order(1, '2024-05-01T00:00:00Z')] });
    fake.addTable({ datasetId: 'sales', tableId: 'events', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }] });
    const config = parseConfig(fake, { tables: [{ id: 'sales.orders' }, { id: 'sales.events' }] });
    await extractInto(connectorFor(config).connector, tmp.dir);
    const before = await readTable(tmp.dir, 'bigquery', 'orders');

    fake.fail({ path: '/queries/', status: 400, reason: 'invalid', message: 'The fake refuses this page', times: 1 });
    const report = await extractInto(connectorFor(config).connector, tmp.dir);
    expect(report.tables[0]).toMatchObject({ name: 'orders', status: 'error' });
    expect(report.tables[0].error).toMatch(/jobs\.getQueryResults of aida_\w+ answered 400 invalid: The fake refuses this page/);
    expect(report.tables[1]).toMatchObject({ name: 'events', status: 'ok' });
    expect((await readTable(tmp.dir, 'bigquery', 'orders')).files).toEqual(before.files);
  });

  it('retries rateLimitExceeded, quotaExceeded and backendError with backoff, and succeeds', async () => {
    fake.addTable({ datasetId: 'sales', tableId: 'orders', schema: [...ORDERS_SCHEMA], rows: [order(1, '2024-05-01T00:00:00Z')] });
    const failures = [
      fake.fail({ path: '/jobs', method: 'POST', reason: 'rateLimitExceeded', times: 1 }),
      fake.fail({ path: '/jobs', method: 'POST', reason: 'quotaExceeded', times: 1 }),
      fake.fail({ path: '/queries/', status: 503, reason: 'backendError', times: 2 }),
      fake.fail({ path: '/tables/orders', status: 429, times: 1 }),
    ];
    const report = await extractInto(connectorFor(parseConfig(fake, { tables: [{ id: 'sales.orders' }] })).connector, tmp.dir);
    expect(report.tables[0]).toMatchObject({ status: 'ok', rows: 1 });
    expect(failures.map((f) => f.hits)).toEqual([1, 1, 2, 1]);
    expect(realJobs()).toHaveLength(1);
  });

  it('gives up after retries.max and says so; a listing that cannot be read fails the whole sync', async () => {
    fake.addTable({ datasetId: 'sales', tableId: 'orders', schema: [...ORDERS_SCHEMA], rows: [order(1, '2024-05-01T00:00:00Z')] });
    fake.fail({ path: '/tables/orders', status: 500, times: Infinity });
    const { connector } = connectorFor(parseConfig(fake, { tables: [{ id: 'sales.orders' }], retries: { max: 2, base_delay: '1ms', max_delay: '2ms' } }));
    await expect(extractInto(connector, tmp.dir)).rejects.toThrow(
      /cannot list the BigQuery tables of project acme-analytics: tables\.get of acme-analytics\.sales\.orders answered 500 backendError: .*\(gave up after 3 attempts\)/,
    );
    expect(fake.requests.filter((r) => r.path.endsWith('/tables/orders'))).toHaveLength(3);
  });

  it('an endpoint nobody answers on is BIGQUERY_TRANSPORT after the retries', async () => {
    const config = parseConfig(fake, {
      tables: [{ id: 'sales.orders' }],
      api_endpoint: 'http://127.0.0.1:9',
      retries: { max: 1, base_delay: '1ms', max_delay: '2ms' },
    });
    const error = await extractInto(connectorFor(config).connector, tmp.dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BIGQUERY_TRANSPORT', status: 502 });
    expect((error as Error).message).toMatch(/tables\.get of acme-analytics\.sales\.orders: .*ECONNREFUSED.*\(gave up after 2 attempts\)/);
  });

  it('a configured table BigQuery does not have is that table’s error', async () => {
    fake.addTable({ datasetId: 'sales', tableId: 'orders', schema: [...ORDERS_SCHEMA], rows: [order(1, '2024-05-01T00:00:00Z')] });
    const report = await extractInto(connectorFor(parseConfig(fake, { tables: [{ id: 'sales.orders' }, { id: 'sales.gone' }] })).connector, tmp.dir);
    expect(report.tables.map((t) => [t.name, t.status])).toEqual([
      ['orders', 'ok'],
      ['gone', 'error'],
    ]);
    expect(report.tables[1].error).toMatch(/acme-analytics\.sales\.gone \(tables\[1\]\) does not exist/);
  });
});
