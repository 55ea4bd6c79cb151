// The fake BigQuery, driven by Google's own Node client (@google-cloud/bigquery 8) over loopback:
// if the official client reads the fake's answers as it reads BigQuery's, the connector written
// against the fake meets the same shapes in production.
import { createSign, generateKeyPairSync } from 'node:crypto';
import { BigQuery, type Job } from '@google-cloud/bigquery';
import { JWT, OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_COLUMNS, GOOGLE_TOKEN_URL, startFakeBigQuery, type FakeBigQuery, type FakeField } from '../src/testing/index.js';

const PROJECT = 'acme-analytics';
const BQ_SCOPE = 'https://www.googleapis.com/auth/bigquery';

/** One column of every type the fake encodes, plus a repeated record. */
const ALL_TYPES: FakeField[] = [
  { name: 'i', type: 'INT64', mode: 'REQUIRED' },
  { name: 'n', type: 'NUMERIC' },
  { name: 'bn', type: 'BIGNUMERIC' },
  { name: 'f', type: 'FLOAT64' },
  { name: 'b', type: 'BOOL' },
  { name: 's', type: 'STRING' },
  { name: 'by', type: 'BYTES' },
  { name: 'd', type: 'DATE' },
  { name: 'dt', type: 'DATETIME' },
  { name: 't', type: 'TIME' },
  { name: 'ts', type: 'TIMESTAMP' },
  { name: 'g', type: 'GEOGRAPHY' },
  { name: 'j', type: 'JSON' },
  { name: 'tags', type: 'STRING', mode: 'REPEATED' },
  {
    name: 'addr',
    type: 'STRUCT',
    fields: [
      { name: 'city', type: 'STRING' },
      { name: 'zip', type: 'INTEGER' },
    ],
  },
  {
    name: 'items',
    type: 'RECORD',
    mode: 'REPEATED',
    fields: [
      { name: 'sku', type: 'STRING' },
      { name: 'qty', type: 'INT64' },
    ],
  },
];

const FULL_ROW = {
  i: 1,
  n: '12345.678900',
  bn: '-0.00000000000000000000000000000000000001',
  f: Number.NaN,
  b: true,
  s: 'žluťoučký kůň',
  by: Buffer.from([0, 1, 254, 255]),
  d: '2024-02-29',
  dt: '2024-02-29T13:45:00.250000',
  t: '23:59:59.999999',
  ts: '2024-01-01T00:00:00.123456Z',
  g: 'POINT(14.42 50.08)',
  j: '{"a":[1,2]}',
  tags: ['x', 'y'],
  addr: { city: 'Prague', zip: 11000 },
  items: [
    { sku: 'A-1', qty: 2 },
    { sku: 'B-2', qty: null },
  ],
};

let fake: FakeBigQuery;
let bq: BigQuery;

/** A client authenticated with a token the fake issued; retries off so injected failures surface at once. */
function client(extra: Record<string, unknown> = {}): BigQuery {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: fake.accessToken() });
  return new BigQuery({ projectId: PROJECT, apiEndpoint: fake.url, authClient: auth, location: 'EU', retryOptions: { autoRetry: false }, ...extra });
}

/** The REST API without the client, for what the client hides (raw f/v cells, status codes). */
async function rest(path: string, init: { method?: string; body?: unknown; token?: string | null } = {}): Promise<{ status: number; body: any }> {
  const token = init.token === undefined ? fake.accessToken() : init.token;
  const res = await fetch(`${fake.url}/bigquery/v2/projects/${PROJECT}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

async function apiError(p: Promise<unknown>): Promise<{ code?: number; reason?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; errors?: { reason?: string }[]; message: string };
    return { code: err.code, reason: err.errors?.[0]?.reason, message: err.message };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  fake = await startFakeBigQuery({ projectId: PROJECT, location: 'EU' });
  fake.addDataset('sales', { description: 'Orders and customers', labels: { team: 'finance' } });
  fake.addDataset('wide');
  fake.addDataset('us_data', { location: 'US' });
  fake.addTable({
    datasetId: 'sales',
    tableId: 'orders',
    description: 'One row per order',
    timePartitioning: { type: 'DAY', field: 'ordered_at' },
    schema: [
      { name: 'id', type: 'INT64', mode: 'REQUIRED' },
      { name: 'customer', type: 'STRING' },
      { name: 'amount', type: 'NUMERIC' },
      { name: 'ordered_at', type: 'TIMESTAMP' },
    ],
    rows: [
      { id: 1, customer: 'ada', amount: '10.5', ordered_at: new Date('2024-03-01T10:00:00Z') },
      { id: 2, customer: 'bob', amount: '7', ordered_at: new Date('2024-03-02T10:00:00Z') },
      { id: 3, customer: null, amount: '99.99', ordered_at: new Date('2024-03-03T10:00:00Z') },
    ],
  });
  fake.addTable({
    datasetId: 'sales',
    tableId: 'orders_by_day',
    type: 'VIEW',
    viewQuery: 'SELECT 1',
    schema: [{ name: 'day', type: 'DATE' }],
    rows: [{ day: '2024-03-01' }],
  });
  fake.addTable({ datasetId: 'sales', tableId: 'all_types', schema: ALL_TYPES, rows: [FULL_ROW, { i: 2 }] });
  for (let k = 0; k < 120; k++) fake.addTable({ datasetId: 'wide', tableId: `t${String(k).padStart(3, '0')}`, schema: [{ name: 'x', type: 'INT64' }] });
  fake.addTable({ datasetId: 'us_data', tableId: 'events', schema: [{ name: 'x', type: 'INT64' }], rows: [{ x: 1 }] });
  fake.addDataset('samples', { projectId: 'bigquery-public-data', location: 'US' });
  fake.addTable({
    projectId: 'bigquery-public-data',
    datasetId: 'samples',
    tableId: 'shakespeare',
    schema: [{ name: 'word', type: 'STRING' }],
    rows: [{ word: 'thee' }, { word: 'thou' }],
  });
  fake.addGeneratedTable({ datasetId: 'sales', tableId: 'events_25k', rows: 25_000 });
  fake.addGeneratedTable({ datasetId: 'sales', tableId: 'events_1m', rows: 1_000_000 });
  bq = client();
});

afterAll(async () => {
  await fake.close();
});

describe('catalog through the official client', () => {
  it('lists datasets, with their location, and pages with maxResults/pageToken', async () => {
    const [all] = await bq.getDatasets();
    expect(all.map((d) => d.id)).toEqual(['sales', 'us_data', 'wide']);
    expect(all.map((d) => d.metadata.location)).toEqual(['EU', 'US', 'EU']);
    const [first, next] = await bq.getDatasets({ maxResults: 2, autoPaginate: false });
    expect(first.map((d) => d.id)).toEqual(['sales', 'us_data']);
    const [rest2] = await bq.getDatasets({ ...next, autoPaginate: false });
    expect(rest2.map((d) => d.id)).toEqual(['wide']);
  });

  it('pages tables.list 50 at a time and the client follows every page', async () => {
    const before = fake.requests.length;
    const [tables] = await bq.dataset('wide').getTables();
    expect(tables).toHaveLength(120);
    expect(tables[0].id).toBe('t000');
    const pages = fake.requests.slice(before).filter((r) => r.path.endsWith('/datasets/wide/tables'));
    expect(pages.map((r) => r.query.pageToken === undefined)).toEqual([true, false, false]);
  });

  it('gets table metadata: schema in REST type names, numRows, numBytes, type, partitioning, location', async () => {
    const [md] = await bq.dataset('sales').table('orders').getMetadata();
    expect(md.schema.fields).toEqual([
      { name: 'id', type: 'INTEGER', mode: 'REQUIRED' },
      { name: 'customer', type: 'STRING', mode: 'NULLABLE' },
      { name: 'amount', type: 'NUMERIC', mode: 'NULLABLE' },
      { name: 'ordered_at', type: 'TIMESTAMP', mode: 'NULLABLE' },
    ]);
    // 3×8 (INT64) + (2+3)+(2+3)+0 (STRING, NULL is free) + 3×16 (NUMERIC) + 3×8 (TIMESTAMP)
    expect(md).toMatchObject({ numRows: '3', numBytes: String(24 + 10 + 48 + 24), type: 'TABLE', location: 'EU', description: 'One row per order' });
    expect(md.timePartitioning).toEqual({ type: 'DAY', field: 'ordered_at' });
    const [view] = await bq.dataset('sales').table('orders_by_day').getMetadata();
    expect(view).toMatchObject({ type: 'VIEW', numBytes: '0', view: { query: 'SELECT 1', useLegacySql: false } });
    const [ds] = await bq.dataset('sales').getMetadata();
    expect(ds).toMatchObject({ location: 'EU', description: 'Orders and customers', labels: { team: 'finance' } });
  });

  it("serves another project's datasets under its own path, queried from the fake's project", async () => {
    const [datasets] = await bq.getDatasets({ projectId: 'bigquery-public-data' });
    expect(datasets.map((d) => d.id)).toEqual(['samples']);
    const [tables] = await bq.dataset('samples', { projectId: 'bigquery-public-data' }).getTables();
    expect(tables.map((t) => t.id)).toEqual(['shakespeare']);
    const [rows] = await bq.query({ query: 'SELECT word FROM `bigquery-public-data.samples.shakespeare` ORDER BY word DESC', location: 'US' });
    expect(rows).toEqual([{ word: 'thou' }, { word: 'thee' }]);
    // Jobs run in the caller's project; another project's job collection is not the caller's to use.
    const res = await fetch(`${fake.url}/bigquery/v2/projects/bigquery-public-data/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.accessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ configuration: { query: { query: 'SELECT word FROM samples.shakespeare', useLegacySql: false } } }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.errors[0].reason).toBe('accessDenied');
  });

  it('answers a missing table with 404 notFound', async () => {
    const err = await apiError(bq.dataset('sales').table('nope').getMetadata());
    expect(err).toMatchObject({ code: 404, reason: 'notFound' });
    expect(err.message).toBe(`Not found: Table ${PROJECT}:sales.nope`);
  });

  it('reads a table with tabledata.list: selectedFields, maxResults and page tokens', async () => {
    const table = bq.dataset('sales').table('orders');
    const [page1, next, raw] = await table.getRows({ maxResults: 2, selectedFields: 'customer,id', autoPaginate: false });
    expect(page1).toEqual([
      { id: 1, customer: 'ada' },
      { id: 2, customer: 'bob' },
    ]);
    expect((raw as any).totalRows).toBe('3');
    const [page2] = await table.getRows({ ...next, autoPaginate: false });
    expect(page2).toEqual([{ id: 3, customer: null }]);
  });
});

describe('dry runs', () => {
  it('returns bytes of the columns the query names and the referenced table, and runs no job', async () => {
    const [job] = await bq.createQueryJob({ query: 'SELECT id, amount FROM `acme-analytics.sales.orders` WHERE customer = "ada" LIMIT 1', dryRun: true });
    const stats = job.metadata.statistics;
    // id 24 + amount 48 + customer 10: LIMIT and WHERE do not reduce what BigQuery reads.
    expect(stats.totalBytesProcessed).toBe('82');
    expect(stats.query.totalBytesProcessed).toBe('82');
    expect(stats.query.referencedTables).toEqual([{ projectId: PROJECT, datasetId: 'sales', tableId: 'orders' }]);
    expect(stats.query.schema.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'amount']);
    expect(job.metadata.jobReference).toEqual({ projectId: PROJECT, location: 'EU' });
    expect(fake.queryLog.at(-1)).toMatchObject({ dryRun: true, totalBytesProcessed: 82 });
    expect(fake.queryLog.at(-1)!.jobId).toBeUndefined();
  });

  it('counts nothing for a bare COUNT(*) and the whole table for SELECT *', async () => {
    const [count] = await bq.createQueryJob({ query: 'SELECT COUNT(*) FROM sales.events_1m', dryRun: true });
    expect(count.metadata.statistics.totalBytesProcessed).toBe('0');
    const [star] = await bq.createQueryJob({ query: 'SELECT * FROM sales.events_1m', dryRun: true });
    const [md] = await bq.dataset('sales').table('events_1m').getMetadata();
    expect(star.metadata.statistics.totalBytesProcessed).toBe(md.numBytes);
    expect(Number(md.numBytes)).toBeGreaterThan(60_000_000);
  });
});

describe('query results', () => {
  function expectTyped(row: Record<string, any>): void {
    expect(row.i).toBe(1);
    expect(row.n.toString()).toBe('12345.6789');
    expect(row.bn.toFixed(38)).toBe('-0.00000000000000000000000000000000000001');
    expect(row.f).toBeNaN();
    expect(row.b).toBe(true);
    expect(row.s).toBe('žluťoučký kůň');
    expect(row.by).toEqual(Buffer.from([0, 1, 254, 255]));
    expect(row.d.value).toBe('2024-02-29');
    expect(row.dt.value).toBe('2024-02-29T13:45:00.250000');
    expect(row.t.value).toBe('23:59:59.999999');
    expect(row.ts.value).toBe('2024-01-01T00:00:00.123456000Z');
    expect(row.g.value).toBe('POINT(14.42 50.08)');
    expect(row.j).toBe('{"a":[1,2]}');
    expect(row.tags).toEqual(['x', 'y']);
    expect(row.addr).toEqual({ city: 'Prague', zip: 11000 });
    expect(row.items).toEqual([
      { sku: 'A-1', qty: 2 },
      { sku: 'B-2', qty: null },
    ]);
  }

  const NULL_ROW = {
    i: 2,
    n: null,
    bn: null,
    f: null,
    b: null,
    s: null,
    by: null,
    d: null,
    dt: null,
    t: null,
    ts: null,
    g: null,
    j: null,
    tags: [],
    addr: null,
    items: [],
  };

  it('comes back typed through jobs.insert + getQueryResults, NULLs, REPEATED and STRUCT included', async () => {
    const [job] = await bq.createQueryJob({ query: 'SELECT * FROM sales.all_types ORDER BY i' });
    const [rows] = await job.getQueryResults();
    expect(rows).toHaveLength(2);
    expectTyped(rows[0]);
    expect(rows[1]).toEqual(NULL_ROW);
  });

  it('comes back typed through jobs.query (the client path of bigquery.query)', async () => {
    const before = fake.requests.length;
    const [rows] = await bq.query('SELECT * FROM sales.all_types WHERE i = 1');
    expectTyped(rows[0]);
    const call = fake.requests.slice(before).find((r) => r.path.endsWith('/queries'))!;
    expect(call.method).toBe('POST');
    expect(call.body).toMatchObject({ useLegacySql: false, formatOptions: { useInt64Timestamp: true } });
  });

  it('sends f/v cells as BigQuery does, honouring the timestamp format asked for', async () => {
    const { body: q } = await rest('/queries', {
      body: { query: 'SELECT f, ts, `by`, tags, addr, items, i FROM sales.all_types WHERE i = 1', useLegacySql: false },
    });
    const id = q.jobReference.jobId;
    const cells = (format: string) => rest(`/queries/${id}?location=EU${format}`).then((r) => r.body.rows[0].f.map((c: { v: unknown }) => c.v));
    const [f, ts, by, tags, addr, items, i] = await cells('');
    expect(f).toBe('NaN');
    expect(ts).toBe('1.704067200123456E9');
    expect(by).toBe('AAH+/w==');
    expect(tags).toEqual([{ v: 'x' }, { v: 'y' }]);
    expect(addr).toEqual({ f: [{ v: 'Prague' }, { v: '11000' }] });
    expect(items).toEqual([{ v: { f: [{ v: 'A-1' }, { v: '2' }] } }, { v: { f: [{ v: 'B-2' }, { v: null }] } }]);
    expect(i).toBe('1');
    expect((await cells('&formatOptions.useInt64Timestamp=true'))[1]).toBe('1704067200123456');
    expect((await cells('&formatOptions.timestampOutputFormat=ISO8601_STRING'))[1]).toBe('2024-01-01T00:00:00.123456Z');
    expect(q.rows[0].f[1].v).toBe('1.704067200123456E9');
  });

  it('pages 25,000 rows with maxResults 10,000 in three getQueryResults calls', async () => {
    const [job] = await bq.createQueryJob({ query: 'SELECT id, name FROM sales.events_25k' });
    const before = fake.requests.length;
    const ids: number[] = [];
    let options: Record<string, unknown> | null = { maxResults: 10_000, autoPaginate: false };
    while (options) {
      // With autoPaginate off the client answers [rows, nextQuery, response]; its typings only promise [rows].
      const [rows, next] = (await job.getQueryResults(options)) as unknown as [any[], Record<string, unknown> | null];
      ids.push(...rows.map((r) => r.id));
      options = next;
    }
    expect(ids).toHaveLength(25_000);
    expect(ids.every((id, k) => id === k + 1)).toBe(true);
    const calls = fake.requests.slice(before).filter((r) => r.path.includes('/queries/'));
    expect(calls.map((c) => c.query.maxResults)).toEqual(['10000', '10000', '10000']);
    expect(calls.map((c) => c.query.pageToken === undefined)).toEqual([true, false, false]);
  });

  it('streams a result with createQueryStream', async () => {
    let count = 0;
    let last = 0;
    for await (const row of bq.createQueryStream({ query: 'SELECT id FROM sales.events_25k WHERE id > 5000' })) {
      count++;
      last = (row as { id: number }).id;
    }
    expect({ count, last }).toEqual({ count: 20_000, last: 25_000 });
  });

  it('starts a page at startIndex', async () => {
    const [job] = await bq.createQueryJob({ query: 'SELECT id FROM sales.events_25k' });
    const [rows] = await job.getQueryResults({ startIndex: '24998', autoPaginate: false });
    expect(rows).toEqual([{ id: 24_999 }, { id: 25_000 }]);
  });

  it('filters, orders and limits as the generated columns predict (with a TIMESTAMP parameter)', async () => {
    const since = new Date(Date.UTC(2024, 0, 1) + 20_000 * 1000);
    const [rows] = await bq.query({
      query: 'SELECT id, updated_at AS changed FROM sales.events_25k WHERE updated_at >= @since ORDER BY id DESC LIMIT 3',
      params: { since },
    });
    expect(rows.map((r: any) => r.id)).toEqual([25_000, 24_999, 24_998]);
    expect(new Date(rows[2].changed.value).getTime()).toBe(Date.UTC(2024, 0, 1) + 24_997_000);
    const [asc] = await bq.query('SELECT id FROM sales.events_25k WHERE id > 24990 AND category IS NOT NULL ORDER BY category, id LIMIT 2 OFFSET 1');
    const expected = Array.from({ length: 10 }, (_, k) => 24_990 + k)
      .filter((i) => i % 10 !== 0)
      .sort((a, b) => (GENERATED_COLUMNS[5].value(a) as string).localeCompare(GENERATED_COLUMNS[5].value(b) as string) || a - b)
      .slice(1, 3)
      .map((i) => i + 1);
    expect(asc.map((r: any) => r.id)).toEqual(expected);
  });

  it('counts a million generated rows without holding them', async () => {
    const [[all]] = await bq.query('SELECT COUNT(*) AS n FROM sales.events_1m');
    expect(all).toEqual({ n: 1_000_000 });
    const [[nulls]] = await bq.query('SELECT COUNT(*) FROM `acme-analytics`.sales.events_1m WHERE category IS NULL');
    expect(nulls).toEqual({ f0_: 100_000 });
  });

  it('serves later changes to a table to later queries, not to results already made', async () => {
    const [before] = await bq.createQueryJob({ query: 'SELECT id FROM sales.orders' });
    const handle = fake.table('sales', 'orders');
    const [{ lastModifiedTime: t0 }] = await bq.dataset('sales').table('orders').getMetadata();
    await new Promise((r) => setTimeout(r, 5));
    handle.insert([{ id: 4, customer: 'cy', amount: '1', ordered_at: new Date('2024-03-04T10:00:00Z') }]);
    const [{ lastModifiedTime: t1, numRows }] = await bq.dataset('sales').table('orders').getMetadata();
    expect(Number(t1)).toBeGreaterThan(Number(t0));
    expect(numRows).toBe('4');
    expect((await before.getQueryResults())[0]).toHaveLength(3);
    const [rows] = await bq.query('SELECT id FROM sales.orders WHERE ordered_at > "2024-03-03"');
    expect(rows).toEqual([{ id: 3 }, { id: 4 }]);
    handle.replace(handle.rows().slice(0, 3));
  });
});

describe('refusals', () => {
  it('answers SQL outside its subset with 400 invalidQuery "The fake does not support …"', async () => {
    for (const sql of [
      'SELECT customer, SUM(amount) FROM sales.orders GROUP BY customer',
      'SELECT * FROM sales.orders o JOIN sales.orders p ON o.id = p.id',
      'SELECT id FROM sales.orders WHERE id = 1 OR id = 2',
      'SELECT UPPER(customer) FROM sales.orders',
      'SELECT * FROM (SELECT 1)',
      'WITH x AS (SELECT 1) SELECT * FROM x',
      'DELETE FROM sales.orders WHERE true',
    ]) {
      const err = await apiError(bq.query(sql));
      expect(err, sql).toMatchObject({ code: 400, reason: 'invalidQuery' });
      expect(err.message, sql).toMatch(/^The fake does not support /);
    }
  });

  it('names unknown columns and mistyped comparisons as BigQuery does', async () => {
    expect((await apiError(bq.query('SELECT nope FROM sales.orders'))).message).toBe('Unrecognized name: nope at [1:8]');
    expect((await apiError(bq.query('SELECT id FROM sales.orders WHERE customer > 5'))).message).toBe(
      'No matching signature for operator > for argument types: STRING, INT64 at [1:44]',
    );
  });

  it('refuses legacy SQL, which jobs.insert defaults to, as a failed job', async () => {
    const { body } = await rest('/jobs', { body: { configuration: { query: { query: 'SELECT id FROM [acme-analytics:sales.orders]' } } } });
    expect(body.status).toMatchObject({ state: 'DONE', errorResult: { reason: 'invalidQuery' } });
    const results = await rest(`/queries/${body.jobReference.jobId}?location=EU`);
    expect(results.status).toBe(400);
    expect(results.body.error.errors[0].reason).toBe('invalidQuery');
  });

  it('enforces maximumBytesBilled: 400 from jobs.query, a failed job from jobs.insert, a pass when high enough', async () => {
    const tooLow = await apiError(bq.query({ query: 'SELECT * FROM sales.orders', maximumBytesBilled: '1000' }));
    expect(tooLow).toMatchObject({
      code: 400,
      reason: 'bytesBilledLimitExceeded',
      message: 'Query exceeded limit for bytes billed: 1000. 10485760 or higher required.',
    });
    const asJob = await apiError(bq.createQueryJob({ query: 'SELECT * FROM sales.orders', maximumBytesBilled: '1000' }));
    expect(asJob.reason).toBe('bytesBilledLimitExceeded');
    const [job] = await bq.createQueryJob({ query: 'SELECT * FROM sales.orders', maximumBytesBilled: String(10 * 1024 * 1024) });
    const [md] = await job.getMetadata();
    expect(md.statistics.query.totalBytesBilled).toBe(String(10 * 1024 * 1024));
  });

  it('does not find a dataset from a job in another location', async () => {
    const err = await apiError(bq.query({ query: 'SELECT x FROM us_data.events', location: 'EU' }));
    expect(err).toMatchObject({ code: 404, reason: 'notFound', message: `Not found: Dataset ${PROJECT}:us_data was not found in location EU` });
    const [rows] = await bq.query({ query: 'SELECT x FROM us_data.events', location: 'US' });
    expect(rows).toEqual([{ x: 1 }]);
  });
});

describe('injected failures', () => {
  it('surfaces 403 rateLimitExceeded and 500 backendError as the client ApiError with the reason', async () => {
    const limit = fake.fail({ path: '/queries', status: 403, reason: 'rateLimitExceeded' });
    const limited = await apiError(bq.query('SELECT id FROM sales.orders'));
    expect(limited).toMatchObject({ code: 403, reason: 'rateLimitExceeded' });
    expect(limit).toMatchObject({ hits: 1, remaining: 0 });
    fake.fail({ path: /\/datasets$/, reason: 'backendError' });
    expect(await apiError(bq.getDatasets())).toMatchObject({ code: 500, reason: 'backendError' });
    const [datasets] = await bq.getDatasets();
    expect(datasets).toHaveLength(3);
  });

  it('is retried by the client when its retries are on', async () => {
    const retrying = client({ retryOptions: { autoRetry: true, maxRetries: 3, maxRetryDelay: 0.05 } });
    const failure = fake.fail({ path: '/datasets/sales/tables/orders', status: 503, times: 2 });
    const [md] = await retrying.dataset('sales').table('orders').getMetadata();
    expect(md.numRows).toBe('3');
    expect(failure.hits).toBe(2);
  });

  it('delays an answer without failing it', async () => {
    fake.fail({ path: '/datasets/sales', method: 'GET', delayMs: 150 });
    const t0 = Date.now();
    await bq.dataset('sales').getMetadata();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    fake.clearFailures();
  });
});

describe('jobs that take time', () => {
  it('reports RUNNING, then getQueryResults waits for DONE; a short timeoutMs sees jobComplete false', async () => {
    // Long enough that a loaded machine still asks before the job is done.
    fake.jobDelayMs = 1000;
    try {
      const [job]: [Job, unknown] = await bq.createQueryJob({ query: 'SELECT id FROM sales.orders' });
      expect(job.metadata.status.state).toBe('RUNNING');
      const early = await rest(`/queries/${job.id}?location=EU&timeoutMs=20`);
      expect(early.body).toMatchObject({ jobComplete: false, jobReference: { jobId: job.id } });
      expect(early.body.rows).toBeUndefined();
      const [rows] = await job.getQueryResults();
      expect(rows).toHaveLength(3);
      const [md] = await job.getMetadata();
      expect(md.status.state).toBe('DONE');
      // The client's own poller (jobs.get until DONE) sees the same transition.
      const [slow] = await bq.createQueryJob({ query: 'SELECT id FROM sales.orders' });
      const [done] = (await slow.promise()) as unknown as [{ status: { state: string } }];
      expect(done.status.state).toBe('DONE');
    } finally {
      fake.jobDelayMs = 0;
    }
  });

  it('does not find a job asked for in the wrong location', async () => {
    const [job] = await bq.createQueryJob({ query: 'SELECT id FROM sales.orders' });
    const { status, body } = await rest(`/jobs/${job.id}?location=US`);
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: 404, status: 'NOT_FOUND', errors: [{ reason: 'notFound', domain: 'global' }] });
  });
});

describe('authentication', () => {
  it('answers a call without a token, or with one it did not issue, with Google 401s', async () => {
    const none = await rest('/datasets', { token: null });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED', errors: [{ reason: 'required', location: 'Authorization' }] });
    const forged = await rest('/datasets', { token: 'ya29.not-from-the-fake' });
    expect(forged.status).toBe(401);
    expect(forged.body.error.errors[0].reason).toBe('authError');
  });

  it('stops accepting revoked tokens', async () => {
    const old = fake.accessToken();
    fake.revokeTokens();
    expect((await rest('/datasets', { token: old })).status).toBe(401);
    expect((await rest('/datasets')).status).toBe(200);
    bq = client();
  });

  it('exchanges a service account JWT signed by google-auth-library for a token the REST API accepts', async () => {
    const key = fake.serviceAccountKey();
    expect(key).toMatchObject({ type: 'service_account', project_id: PROJECT, token_uri: fake.tokenUrl });
    // google-auth-library 10 posts to Google's token URL whatever the key's token_uri says;
    // a client that honours token_uri has to send the request there itself.
    const jwt = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [BQ_SCOPE] });
    const asked: string[] = [];
    jwt.transporter.interceptors.request.add({
      resolved: async (opts) => {
        asked.push(String(opts.url));
        if (String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(key.token_uri);
        return opts;
      },
    });
    const viaKey = new BigQuery({ projectId: PROJECT, apiEndpoint: fake.url, authClient: jwt, location: 'EU' });
    const [datasets] = await viaKey.getDatasets();
    expect(datasets).toHaveLength(3);
    expect(asked).toEqual([GOOGLE_TOKEN_URL]);
    const exchange = fake.requests.filter((r) => r.path === '/token').at(-1)!;
    expect(exchange.body).toMatchObject({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' });
  });

  it('refuses assertions signed by another key, for another audience, expired or without a BigQuery scope', async () => {
    const key = fake.serviceAccountKey();
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: key.client_email, scope: BQ_SCOPE, aud: GOOGLE_TOKEN_URL, iat: now, exp: now + 3600 };
    const sign = (payload: object, pem = key.private_key): string => {
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const input = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}`;
      return `${input}.${createSign('RSA-SHA256').update(input).sign(pem).toString('base64url')}`;
    };
    const exchange = async (assertion: string) => {
      const res = await fetch(fake.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const ok = await exchange(sign(claims));
    expect(ok).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 3599 } });
    expect((await rest('/datasets', { token: ok.body.access_token as string })).status).toBe(200);
    expect(await exchange(sign({ ...claims, aud: fake.tokenUrl }))).toMatchObject({ status: 200 });
    expect(await exchange(sign(claims, other))).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } });
    expect((await exchange(sign({ ...claims, aud: 'https://example.com/token' }))).body.error).toBe('invalid_grant');
    expect((await exchange(sign({ ...claims, iat: now - 7200, exp: now - 3600 }))).body.error).toBe('invalid_grant');
    expect((await exchange(sign({ ...claims, scope: 'https://www.googleapis.com/auth/drive' }))).body.error).toBe('invalid_scope');
    fake.fail({ path: '/token', status: 503, reason: 'temporarily_unavailable' });
    expect(await exchange(sign(claims))).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
  });
});
