import { describe, expect, it } from 'vitest';
import { defaultTableName, keboolaConfigSchema } from '../src/config.js';
import { TOKEN, TOKEN_ENV } from './helpers.js';

const base = { url: 'https://connection.keboola.com/', token_env: TOKEN_ENV };
const issues = (v: unknown) => keboolaConfigSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('keboola config', () => {
  it('fills defaults: source keboola, full_refresh, overlap 1h, timeouts, retries, 8 parallel slices', () => {
    const c = keboolaConfigSchema.parse({ ...base, tables: [{ id: 'in.c-sales.orders' }] });
    expect(c.source).toBe('keboola');
    expect(c.url).toBe('https://connection.keboola.com');
    expect(c.tables[0]).toMatchObject({ id: 'in.c-sales.orders', strategy: 'full_refresh' });
    expect(c.incremental_overlap).toBe(3_600_000);
    expect(c.timeouts).toMatchObject({ request: 30_000, idle: 60_000, export: 7_200_000 });
    expect(c.retries).toMatchObject({ max: 5, base_delay: 500, max_delay: 30_000 });
    expect(c.max_parallel_slices).toBe(8);
    expect(c.token_env).toBe(TOKEN); // the variable's value, resolved by zSecretEnv
  });

  it('parses durations and per-table strategies', () => {
    const c = keboolaConfigSchema.parse({
      ...base,
      incremental_overlap: '15m',
      tables: [
        { id: 'in.c-sales.orders', name: 'orders', strategy: 'incremental', primary_key: ['id'], incremental_overlap: '2h' },
        {
          id: 'in.c-web.events',
          strategy: 'partitioned',
          partition_by: { column: 'created_at', granularity: 'day' },
          column_types: { amount: 'decimal(12, 2)' },
        },
      ],
      buckets: [{ id: 'out.*' }],
    });
    expect(c.incremental_overlap).toBe(900_000);
    expect(c.tables[0].incremental_overlap).toBe(7_200_000);
    expect(c.tables[1].column_types).toEqual({ amount: 'DECIMAL(12, 2)' });
    expect(c.buckets[0]).toMatchObject({ id: 'out.*', strategy: 'full_refresh', exclude: [] });
  });

  it('reports every problem with a path a person can act on', () => {
    const all = issues({
      url: 'connection.keboola.com',
      token_env: 'AIDA_TEST_UNSET_VAR_KBC',
      tables: [
        { id: 'orders' },
        { id: 'in.c-a.t', name: 'bad-name' },
        { id: 'in.c-a.u', strategy: 'partitioned' },
        { id: 'in.c-a.v', columns: ['a'], primary_key: ['b'] },
        { id: 'in.c-a.w', strategy: 'weekly' },
        { id: 'in.c-a.x', surprise: true },
      ],
      timeouts: { request: 'soon' },
    }).join('\n');
    expect(all).toMatch(/^url: url must be an absolute http\(s\) URL/m);
    expect(all).toMatch(/tables\.0\.id: must be a Keboola table id such as in.c-sales.orders/);
    expect(all).toMatch(/tables\.1\.name: must be a valid identifier/);
    expect(all).toMatch(/tables\.2\.partition_by: the partitioned strategy needs partition_by/);
    expect(all).toMatch(/tables\.3\.primary_key: primary key column b is not in columns/);
    expect(all).toMatch(/tables\.4\.strategy/);
    expect(all).toMatch(/tables\.5.*surprise|Unrecognized key.*surprise/);
    expect(all).toMatch(/timeouts\.request: must be a duration such as 500ms, 30s, 5m, 1h or 1d .*; got "soon"/);
    // The unset variable is reported alongside the problems of the other fields.
    expect(all).toMatch(/token_env: environment variable AIDA_TEST_UNSET_VAR_KBC is not set \(it must hold the Keboola Storage API token\)/);
  });

  it('needs tables or buckets, a set token variable, and distinct table names', () => {
    expect(issues({ ...base }).join()).toMatch(/tables: list the Keboola tables to sync/);
    expect(issues({ ...base, token_env: 'AIDA_TEST_UNSET_VAR_KBC', tables: [{ id: 'in.c-a.t' }] }).join()).toMatch(
      /token_env: environment variable AIDA_TEST_UNSET_VAR_KBC is not set/,
    );
    expect(issues({ ...base, tables: [{ id: 'in.c-a.orders' }, { id: 'in.c-b.orders' }] }).join()).toMatch(
      /tables\.1\.name: table name orders is already used by tables\[0\]/,
    );
  });

  it('derives table names from Keboola table ids', () => {
    expect(defaultTableName('in.c-sales.orders')).toBe('orders');
    expect(defaultTableName('out.c-x.2024-sales')).toBe('_2024_sales');
  });
});
