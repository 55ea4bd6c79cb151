import { describeConnectorContract } from '@aida/core/testing';
import { startTestHost } from '@aida/host/testing';
import plugin from '../src/index.js';
import { configFor, startFake } from './helpers.js';

describeConnectorContract('bigquery', async () => {
  const fake = await startFake({ datasets: ['sales', 'marketing'] });
  // A table per write path: whole (keyed), incremental (merged by key), partitioned by BigQuery's
  // day partitions, and every table of a dataset.
  fake.addGeneratedTable({ datasetId: 'sales', tableId: 'events', rows: 2500 });
  fake.addGeneratedTable({ datasetId: 'sales', tableId: 'orders', rows: 300 });
  fake.addGeneratedTable({ datasetId: 'sales', tableId: 'visits', rows: 400, timePartitioning: { type: 'MONTH', field: 'event_date' } });
  fake.addTable({
    datasetId: 'marketing',
    tableId: 'campaigns',
    schema: [
      { name: 'id', type: 'INT64' },
      { name: 'name', type: 'STRING' },
    ],
    rows: [{ id: 1, name: 'spring' }],
  });
  const config = configFor(fake, {
    tables: [
      { id: 'sales.events', primary_key: ['id'] },
      { id: 'sales.orders', strategy: 'incremental', incremental_column: 'updated_at', primary_key: ['id'], overlap: '1h' },
      { id: 'sales.visits', partition_by: {}, primary_key: ['id'] },
    ],
    datasets: [{ id: 'marketing' }],
    page_size: 500,
    retries: { max: 1, base_delay: '5ms', max_delay: '10ms' },
  });
  return {
    host: await startTestHost({ plugins: [{ plugin, config }] }),
    source: 'bigquery',
    breakSource: async () => {
      fake.fail({ status: 503, times: Infinity });
    },
    repairSource: async () => {
      fake.clearFailures();
    },
    cleanup: () => fake.close(),
  };
});
