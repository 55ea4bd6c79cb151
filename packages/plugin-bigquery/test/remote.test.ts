// The remote engine (Connector.remote) against the fake: dry-run estimates naming the AIDA
// tables a query reads, runs capped by maximumBytesBilled and labelled with the user, results
// as JSON-safe values, and remote tables declared in the extract without any file.
import { InputError } from '@aida/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigQueryBytesBilledLimitError, BigQueryInvalidQueryError } from '../src/errors.js';
import type { FakeBigQuery } from '../src/testing/index.js';
import { connectorFor, extractInto, parseConfig, readTable, startFake, tempDir } from './helpers.js';

let fake: FakeBigQuery;

beforeAll(async () => {
  fake = await startFake({ datasets: ['sales', 'web', 'marketing'] });
  fake.addTable({
    datasetId: 'web',
    tableId: 'events',
    schema: [
      { name: 'id', type: 'INT64' },
      { name: 'amount', type: 'NUMERIC' },
      { name: 'score', type: 'FLOAT64' },
      { name: 'ok', type: 'BOOL' },
      { name: 'at', type: 'TIMESTAMP' },
      { name: 'day', type: 'DATE' },
      { name: 'tags', type: 'STRING', mode: 'REPEATED' },
      {
        name: 'meta',
        type: 'STRUCT',
        fields: [
          { name: 'n', type: 'INT64' },
          { name: 'raw', type: 'BYTES' },
        ],
      },
      { name: 'doc', type: 'JSON' },
    ],
    rows: [
      {
        id: '9007199254740993',
        amount: '1.25',
        score: Number.POSITIVE_INFINITY,
        ok: true,
        at: '2024-05-01T08:00:00.123456Z',
        day: '2024-05-01',
        tags: ['a', 'b'],
        meta: { n: 2, raw: Buffer.from('hi') },
        doc: { x: 1 },
      },
      { id: 2, amount: '-3', score: 0.5, ok: false, at: '2024-05-01T08:00:00Z', day: '2024-05-02', tags: [], meta: null, doc: null },
      { id: 3 },
    ],
  });
  fake.addTable({ datasetId: 'sales', tableId: 'orders', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }] });
  fake.addTable({ datasetId: 'sales', tableId: 'secret', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }] });
  fake.addTable({ datasetId: 'marketing', tableId: 'campaigns', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }] });
  fake.addTable({ datasetId: 'marketing', tableId: 'tmp_scratch', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }] });
});
afterAll(() => fake.close());

const config = () =>
  parseConfig(fake, {
    tables: [{ id: 'web.events', mode: 'remote' }, { id: 'sales.orders' }],
    datasets: [{ id: 'marketing', mode: 'remote', exclude: ['marketing.tmp_*'] }],
    limits: { max_scan_bytes: '1GiB', user_daily_bytes: '10GB', user_concurrent: 3 },
  });
const signal = () => new AbortController().signal;

describe('the remote engine', () => {
  it('exists only when the config has remote tables, and carries the configured limits', () => {
    expect(connectorFor(parseConfig(fake, { tables: [{ id: 'sales.orders' }] })).connector.remote).toBeUndefined();
    const remote = connectorFor(config()).connector.remote!;
    expect(remote.dialect).toBe('GoogleSQL');
    expect(remote.limits).toEqual({ maxScanBytes: 1024 ** 3, userDailyBytes: 10e9, userConcurrent: 3 });
  });

  it('estimates with a dry run: bytes, and the AIDA names of the tables read (materialized or remote)', async () => {
    const remote = connectorFor(config()).connector.remote!;
    fake.queryLog.length = 0;
    const e = await remote.estimate('SELECT id, amount FROM `acme-analytics.web.events` WHERE id > 1', { signal: signal(), userId: 'U-42' });
    expect(e).toEqual({ tables: ['events'], unregistered: [], bytes: expect.any(Number) });
    expect(e.bytes).toBeGreaterThan(0);
    expect(fake.queryLog.map((q) => [q.dryRun, q.labels])).toEqual([[true, { aida_source: 'bigquery', aida_workload: 'remote_query', aida_user: 'u-42' }]]);
    expect((await remote.estimate('SELECT * FROM sales.orders', { signal: signal(), userId: 'u' })).tables).toEqual(['orders']);
    expect((await remote.estimate('SELECT * FROM marketing.campaigns', { signal: signal(), userId: 'u' })).tables).toEqual(['campaigns']);
  });

  it('names the tables no AIDA table stands for as unregistered (not configured, or excluded)', async () => {
    const remote = connectorFor(config()).connector.remote!;
    expect(await remote.estimate('SELECT * FROM sales.secret', { signal: signal(), userId: 'u' })).toMatchObject({
      tables: [],
      unregistered: ['acme-analytics.sales.secret'],
    });
    expect((await remote.estimate('SELECT * FROM marketing.tmp_scratch', { signal: signal(), userId: 'u' })).unregistered).toEqual([
      'acme-analytics.marketing.tmp_scratch',
    ]);
  });

  it("reports a query BigQuery refuses as an InputError with BigQuery's message", async () => {
    const remote = connectorFor(config()).connector.remote!;
    const error = await remote.estimate('SELECT nope FROM web.events', { signal: signal(), userId: 'u' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BigQueryInvalidQueryError);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'BIGQUERY_INVALID_QUERY', status: 400 });
    expect((error as Error).message).toMatch(/answered 400 invalidQuery: Unrecognized name: nope at \[1:8\]/);
  });

  it('runs with maximumBytesBilled and the user label; the first `limit` rows as JSON-safe values, truncated when there are more', async () => {
    const remote = connectorFor(config()).connector.remote!;
    fake.queryLog.length = 0;
    const r = await remote.run('SELECT * FROM web.events ORDER BY id DESC', { limit: 2, signal: signal(), userId: 'alice@example.com', maxBytes: 1024 ** 3 });
    expect(fake.queryLog).toMatchObject([
      { dryRun: false, maximumBytesBilled: String(1024 ** 3), labels: { aida_user: 'alice_example_com', aida_workload: 'remote_query' } },
    ]);
    expect(r.columns).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'amount', type: 'DECIMAL(38,9)' },
      { name: 'score', type: 'DOUBLE' },
      { name: 'ok', type: 'BOOLEAN' },
      { name: 'at', type: 'TIMESTAMPTZ' },
      { name: 'day', type: 'DATE' },
      { name: 'tags', type: 'VARCHAR[]' },
      { name: 'meta', type: 'STRUCT("n" BIGINT, "raw" BLOB)' },
      { name: 'doc', type: 'JSON' },
    ]);
    expect(r.truncated).toBe(true);
    expect(r.rows).toEqual([
      ['9007199254740993', '1.25', 'Infinity', true, '2024-05-01T08:00:00.123456Z', '2024-05-01', ['a', 'b'], { n: 2, raw: 'aGk=' }, '{"x":1}'],
      [3, null, null, null, null, null, [], null, null],
    ]);
    expect(r.bytesScanned).toBeGreaterThanOrEqual(10 * 1024 * 1024); // billed: at least BigQuery's 10 MiB minimum
    const all = await remote.run('SELECT id FROM web.events', { limit: 3, signal: signal(), userId: 'u', maxBytes: 1024 ** 3 });
    expect(all).toMatchObject({ truncated: false, rows: [['9007199254740993'], [2], [3]] });
  });

  it('a run over maxBytes fails with BigQuery’s bytesBilledLimitExceeded', async () => {
    const remote = connectorFor(config()).connector.remote!;
    const error = await remote.run('SELECT * FROM web.events', { limit: 10, signal: signal(), userId: 'u', maxBytes: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BigQueryBytesBilledLimitError);
    expect((error as Error).message).toMatch(/bytesBilledLimitExceeded.*Query exceeded limit for bytes billed: 1000/);
  });

  it('an aborted run cancels its job', async () => {
    const remote = connectorFor(config()).connector.remote!;
    fake.jobDelayMs = 5000;
    try {
      const controller = new AbortController();
      const running = remote.run('SELECT * FROM web.events', { limit: 10, signal: controller.signal, userId: 'u', maxBytes: 1024 ** 3 });
      setTimeout(() => controller.abort(new Error('the client went away')), 200);
      await expect(running).rejects.toThrow('the client went away');
      await expect.poll(() => fake.requests.some((r) => r.method === 'POST' && r.path.endsWith('/cancel'))).toBe(true);
    } finally {
      fake.jobDelayMs = 0;
    }
  });
});

describe('remote tables in the extract', () => {
  it('are declared with query_mode remote and no files; only materialized tables are downloaded', async () => {
    const tmp = await tempDir();
    try {
      fake.queryLog.length = 0;
      const report = await extractInto(connectorFor(config()).connector, tmp.dir);
      expect(report.tables.map((t) => [t.name, t.status]).sort()).toEqual([
        ['campaigns', 'ok'],
        ['events', 'ok'],
        ['orders', 'ok'],
      ]);
      const events = await readTable(tmp.dir, 'bigquery', 'events');
      expect(events.meta).toMatchObject({ table_name: 'events', query_mode: 'remote', rows: 3 });
      expect(events.files).toEqual([]);
      expect((await readTable(tmp.dir, 'bigquery', 'orders')).meta).toMatchObject({ query_mode: 'local' });
      expect(fake.queryLog.map((q) => q.sql)).toEqual(['SELECT * FROM `acme-analytics.sales.orders`', 'SELECT * FROM `acme-analytics.sales.orders`']);
    } finally {
      await tmp.cleanup();
    }
  });
});
