// The suites every connector passes, run in a real host against the fake source: the connector
// contract (discover, extract, hashes, idempotence, identifiers, a failed sync keeps the old
// extract) and the write-modes contract, once per mode this connector writes.
import { describeConnectorContract, describeWriteModesContract, type SourceChange, type WriteModesFixture } from '@aida/core/testing';
import { startTestHost } from '@aida/host/testing';
import plugin from '../src/index.js';
import { FakeSource, type FakeTable } from '../src/testing/fake-source.js';
import { COUNTRIES, COUNTRY_ROWS, ORDERS, TOKEN, orders, pluginConfig } from './helpers.js';

describeConnectorContract('template', async () => {
  const fake = await FakeSource.start(TOKEN);
  fake.pageSize = 7;
  fake.addTable(ORDERS, orders(30));
  fake.addTable(COUNTRIES, COUNTRY_ROWS);
  // A name AIDA cannot use: it must never reach the extract.
  fake.addTable({ ...COUNTRIES, name: 'odd-name' }, COUNTRY_ROWS);
  return {
    host: await startTestHost({ plugins: [{ plugin, config: pluginConfig(fake) }] }),
    source: 'template',
    breakSource: async () => {
      fake.down = true;
    },
    repairSource: async () => {
      fake.down = false;
    },
    cleanup: () => fake.close(),
  };
});

/**
 * The suite's rows `{ id, day, note }` at the fake source, in a table of this connector's two
 * kinds: incremental (`day` is the row's `updated_at`, so it picks the month part; deletions are
 * not seen by an incremental fetch) or a lookup table (`day` a plain column; a whole fetch sees deletions).
 */
function template(kind: 'incremental' | 'lookup'): () => Promise<WriteModesFixture> {
  return async () => {
    const fake = await FakeSource.start(TOKEN);
    fake.pageSize = 4;
    const table: FakeTable =
      kind === 'incremental'
        ? {
            name: 'visits',
            primary_key: ['id'],
            incremental: true,
            columns: [
              { name: 'id', type: 'integer' },
              { name: 'note', type: 'string' },
              { name: 'updated_at', type: 'timestamp' },
            ],
          }
        : {
            name: 'visits',
            primary_key: ['id'],
            incremental: false,
            columns: [
              { name: 'id', type: 'integer' },
              { name: 'day', type: 'date' },
              { name: 'note', type: 'string' },
            ],
          };
    fake.addTable(table);
    const change = async (c: SourceChange) => {
      if (c.kind === 'delete') return fake.remove('visits', c.ids);
      fake.upsert(
        'visits',
        c.rows.map((r) => (kind === 'incremental' ? { id: r.id, note: r.note, updated_at: `${r.day}T00:00:00Z` } : { ...r })),
      );
    };
    return {
      host: await startTestHost({ plugins: [{ plugin, config: pluginConfig(fake) }] }),
      source: 'template',
      table: 'visits',
      mode: kind === 'incremental' ? 'merge' : 'replace',
      partitioned: kind === 'incremental',
      seesDeletes: kind === 'lookup',
      change,
      breakSource: async () => {
        fake.down = true;
      },
      repairSource: async () => {
        fake.down = false;
      },
      cleanup: () => fake.close(),
    };
  };
}

describeWriteModesContract('template incremental table (merge by id, a part per month of updated_at)', template('incremental'));
describeWriteModesContract('template lookup table (replace)', template('lookup'));
