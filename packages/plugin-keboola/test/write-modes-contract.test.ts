import { describeWriteModesContract, type SourceChange, type WriteModesFixture } from '@aida/core/testing';
import { startTestHost } from '@aida/host/testing';
import plugin from '../src/index.js';
import { FakeKeboola } from '../src/testing/fake-keboola.js';
import { TOKEN } from './helpers.js';

const VISITS = 'in.c-web.visits';

/**
 * A partitioned Keboola table (by month of `day`): with a primary key a sync exports the rows
 * changed since the last one and merges them; without, it exports the whole table and replaces
 * the parts (so it sees deletions).
 */
function keboola(withKey: boolean): () => Promise<WriteModesFixture> {
  return async () => {
    const fake = await FakeKeboola.start(TOKEN);
    fake.addTable({
      id: VISITS,
      columns: ['id', 'day', 'note'],
      primaryKey: withKey ? ['id'] : [],
      types: { id: { basetype: 'INTEGER' }, day: { basetype: 'DATE' }, note: { basetype: 'STRING' } },
      rows: [],
    });
    const rows = fake.tables.get(VISITS)!.rows;
    const change = async (c: SourceChange) => {
      const ids = new Set(c.kind === 'delete' ? c.ids : c.rows.map((r) => r.id));
      const kept = rows.filter((r) => !ids.has(Number(r.values.id)));
      const upserted = c.kind === 'upsert' ? c.rows.map((r) => ({ values: { id: String(r.id), day: r.day, note: r.note }, changedAt: Date.now() })) : [];
      rows.splice(0, rows.length, ...kept, ...upserted);
    };
    const config = fake.config({
      tables: [{ id: VISITS, strategy: 'partitioned', partition_by: { column: 'day', granularity: 'month' } }],
      retries: { max: 1, base_delay: '10ms', max_delay: '20ms' },
    });
    return {
      host: await startTestHost({ plugins: [{ plugin, config }] }),
      source: 'keboola',
      table: 'visits',
      mode: withKey ? 'merge' : 'replace',
      partitioned: true,
      seesDeletes: !withKey,
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

describeWriteModesContract('keboola partitioned with a primary key (merge)', keboola(true));
describeWriteModesContract('keboola partitioned without a key (replace)', keboola(false));
