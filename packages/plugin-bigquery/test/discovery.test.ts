// Discovery: the configured tables and every table and view of the configured datasets (less
// `exclude`), with DuckDB column types, row counts, sizes, partitioning and keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeBigQuery } from '../src/testing/index.js';
import { connectorFor, extractInto, parseConfig, readTable, startFake, tempDir } from './helpers.js';

let fake: FakeBigQuery;

beforeAll(async () => {
  fake = await startFake({ datasets: ['sales', 'marketing'] });
  fake.addTable({
    datasetId: 'sales',
    tableId: 'Orders',
    description: 'Orders as the shop records them',
    schema: [
      { name: 'id', type: 'INT64', mode: 'REQUIRED' },
      { name: 'placed_on', type: 'DATE' },
      { name: 'lines', type: 'RECORD', mode: 'REPEATED', fields: [{ name: 'sku', type: 'STRING' }] },
    ],
    timePartitioning: { type: 'MONTH', field: 'placed_on' },
    rows: [
      { id: 1, placed_on: '2024-05-01', lines: [{ sku: 'a' }] },
      { id: 2, placed_on: '2024-06-01', lines: [] },
    ],
  });
  fake.addTable({ datasetId: 'marketing', tableId: 'campaigns', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }], numBytes: 123_456 });
  fake.addTable({
    datasetId: 'marketing',
    tableId: 'campaign_view',
    type: 'VIEW',
    viewQuery: 'SELECT id FROM marketing.campaigns',
    schema: [{ name: 'id', type: 'INT64' }],
    rows: [{ id: 1 }],
  });
  fake.addTable({ datasetId: 'marketing', tableId: 'tmp_scratch', schema: [{ name: 'x', type: 'STRING' }] });
  fake.addTable({ datasetId: 'marketing', tableId: 'orders', schema: [{ name: 'x', type: 'STRING' }] });
});
afterAll(() => fake.close());

const config = () =>
  parseConfig(fake, {
    tables: [{ id: 'sales.Orders', primary_key: ['id'] }],
    datasets: [{ id: 'marketing', mode: 'remote', exclude: ['marketing.tmp_*'] }],
  });

describe('discovery', () => {
  it('lists tables and views with schemas, row counts, sizes and partitioning; a dataset table whose name is taken is left out', async () => {
    const found = await connectorFor(config()).connector.discover();
    expect(found.map((t) => t.name)).toEqual(['orders', 'campaign_view', 'campaigns']);
    const [orders, view, campaigns] = found;
    expect(orders).toMatchObject({
      name: 'orders',
      description: 'Orders as the shop records them',
      bucket: 'sales',
      sourceTable: 'acme-analytics.sales.Orders',
      rows: 2,
      primaryKey: ['id'],
      mode: 'materialized',
      tableType: 'TABLE',
      partitioning: { type: 'MONTH', field: 'placed_on' },
      columns: [
        { name: 'id', type: 'BIGINT', bigqueryType: 'INTEGER' },
        { name: 'placed_on', type: 'DATE', bigqueryType: 'DATE' },
        { name: 'lines', type: 'STRUCT("sku" VARCHAR)[]', bigqueryType: 'ARRAY<RECORD>' },
      ],
    });
    expect(orders.sizeBytes).toBeGreaterThan(0);
    expect(Date.parse(orders.lastChangedAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(view).toMatchObject({ tableType: 'VIEW', mode: 'remote', bucket: 'marketing' });
    expect(campaigns).toMatchObject({ tableType: 'TABLE', mode: 'remote', sizeBytes: 123_456, rows: 1 });
  });

  it('extraction reports the dataset table whose name is taken as skipped and writes the others', async () => {
    const tmp = await tempDir();
    try {
      const report = await extractInto(connectorFor(config()).connector, tmp.dir);
      expect(report.tables.map((t) => [t.name, t.status])).toEqual([
        ['orders', 'ok'],
        ['campaign_view', 'ok'],
        ['campaigns', 'ok'],
        ['orders', 'skipped'],
      ]);
      expect(report.tables[3].error).toMatch(/acme-analytics\.marketing\.orders \(datasets\[0\]\): the name orders is already taken/);
      expect((await readTable(tmp.dir, 'bigquery', 'orders')).rows).toHaveLength(2);
    } finally {
      await tmp.cleanup();
    }
  });
});
