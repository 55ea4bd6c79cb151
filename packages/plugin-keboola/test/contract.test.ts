import { describeConnectorContract } from '@aida/core/testing';
import { startTestHost } from '@aida/host/testing';
import plugin from '../src/index.js';
import { FakeKeboola } from '../src/testing/fake-keboola.js';
import { TOKEN, orderRow, ordersTable } from './helpers.js';

describeConnectorContract('keboola', async () => {
  const fake = await FakeKeboola.start(TOKEN);
  const now = Date.now();
  // One table per strategy; the incremental and partitioned ones changed "just now", so a
  // re-sync merges the overlap again and must still produce the same bytes.
  fake.addTable(ordersTable(60, { slices: 3 }));
  fake.addTable({
    ...ordersTable(0, { id: 'in.c-crm.customers', slices: 2 }),
    rows: Array.from({ length: 25 }, (_, i) => ({ values: orderRow(i + 1), changedAt: now })),
  });
  fake.addTable({ ...ordersTable(0, { id: 'in.c-web.events' }), rows: Array.from({ length: 40 }, (_, i) => ({ values: orderRow(i + 1), changedAt: now })) });
  fake.addTable({ id: 'out.c-odd.bad-name', columns: ['id'], primaryKey: [], rows: [{ values: { id: '1' }, changedAt: now }] });
  const config = fake.config({
    tables: [
      { id: 'in.c-sales.orders' },
      { id: 'in.c-crm.customers', strategy: 'incremental' },
      { id: 'in.c-web.events', strategy: 'partitioned', partition_by: { column: 'order_date', granularity: 'month' } },
      { id: 'out.c-odd.bad-name', name: 'odd_table' },
    ],
    retries: { max: 1, base_delay: '10ms', max_delay: '20ms' },
  });
  return {
    host: await startTestHost({ plugins: [{ plugin, config }] }),
    source: 'keboola',
    breakSource: async () => {
      fake.down = true;
    },
    repairSource: async () => {
      fake.down = false;
    },
    cleanup: () => fake.close(),
  };
});
