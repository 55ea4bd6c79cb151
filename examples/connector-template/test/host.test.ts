// The plugin in a real host (DuckDB files in a temp dir, HTTP on loopback) against the fake
// source: what an analyst's `da sync` sees after each sync, and how the connector behaves when
// the source misbehaves.
import { createHash } from 'node:crypto';
import type { AuthenticatedFetch } from '@aida/core/testing';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { FakeSource } from '../src/testing/fake-source.js';
import { COUNTRIES, COUNTRY_ROWS, ORDERS, TOKEN, captureLogger, orders, pluginConfig } from './helpers.js';

interface Part {
  part: string;
  hash: string;
  rows: number;
}
interface ManifestTable {
  hash: string;
  rows: number;
  parts?: Part[];
}
interface HistoryRow {
  table_id: string;
  status: string;
  error: string | null;
}

const md5 = (bytes: ArrayBuffer) => createHash('md5').update(Buffer.from(bytes)).digest('hex');

describe('the template connector in a real host', () => {
  let fake: FakeSource;
  let t: TestHost;
  let admin: AuthenticatedFetch;
  const logs = captureLogger();

  const manifest = async () => {
    const res = await admin('/api/sync/manifest');
    expect(res.status).toBe(200);
    return ((await res.json()) as { tables: Record<string, ManifestTable> }).tables;
  };
  const partHashes = async () => new Map((await manifest()).orders.parts!.map((p) => [p.part, p.hash]));
  const sync = async () => {
    const result = await t.host.syncSource('template');
    expect(result.error).toBeUndefined();
    return Object.fromEntries(result.report.tables.map((x) => [x.name, x]));
  };
  const rowRequests = (table: string) => fake.requests.filter((r) => r.path === `/v1/tables/${table}/rows`);

  beforeAll(async () => {
    fake = await FakeSource.start(TOKEN);
    fake.pageSize = 4; // 12 orders → 3 pages: paging is part of every sync
    fake.addTable(ORDERS, orders(12));
    fake.addTable(COUNTRIES, COUNTRY_ROWS);
    // A short timeout so that a slow answer is a timeout; real configs keep the 30s default.
    t = await startTestHost({ plugins: [{ plugin, config: pluginConfig(fake, { timeout: '500ms' }) }], logger: logs.logger });
    admin = await t.asAdmin();
  });

  it('the template:sync job syncs both tables, and the manifest lists orders with a part per month', async () => {
    const run = await t.runJob('template:sync');
    expect(run).toMatchObject({ ok: true });
    const m = await manifest();
    expect(m.countries).toMatchObject({ rows: 3 });
    expect(m.countries.parts, 'a lookup table is one file').toBeUndefined();
    expect(m.orders.rows).toBe(12);
    expect(m.orders.parts!.map((p) => [p.part, p.rows])).toEqual([
      ['2024-01', 4],
      ['2024-02', 4],
      ['2024-03', 4],
    ]);
    expect(rowRequests('orders').map((r) => r.query)).toEqual([{ page: '1' }, { page: '2' }, { page: '3' }]);
  });

  it('discover-tables shows what the source lists, with DuckDB types and primary keys', async () => {
    const res = await admin('/api/admin/discover-tables');
    const body = (await res.json()) as { tables: Record<string, unknown>[]; errors: unknown[] };
    expect(body.errors).toEqual([]);
    expect(body.tables.find((x) => x.name === 'orders')).toMatchObject({
      source: 'template',
      source_type: 'template',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'customer', type: 'VARCHAR' },
        { name: 'amount', type: 'DOUBLE' },
        { name: 'updated_at', type: 'TIMESTAMPTZ' },
      ],
    });
  });

  it("each ?part= download's MD5 is the manifest's hash of that part", async () => {
    for (const p of (await manifest()).orders.parts!) {
      const res = await admin(`/api/data/orders/download?part=${encodeURIComponent(p.part)}`);
      expect(res.status, p.part).toBe(200);
      expect(md5(await res.arrayBuffer())).toBe(p.hash);
    }
  });

  it('a later sync asks only for rows updated since the last one, and rewrites only the month they fall in', async () => {
    const before = await partHashes();
    const asked = rowRequests('orders').length;
    fake.upsert('orders', [{ id: 2, customer: 'customer 2', amount: 99.5, updated_at: '2024-02-20T08:00:00Z' }]);
    const outcome = await sync();
    expect(outcome.orders).toMatchObject({ status: 'ok', rows: 12 });
    const since = rowRequests('orders')
      .slice(asked)
      .map((r) => r.query.updated_since);
    expect(since.length).toBeGreaterThan(0);
    for (const s of since) expect(Date.parse(s!)).toBeGreaterThan(Date.now() - 10 * 60_000);
    const after = await partHashes();
    expect([...after].filter(([part, hash]) => before.get(part) !== hash).map(([part]) => part)).toEqual(['2024-02']);
  });

  it('a 429 with Retry-After and 500s are ridden out: the sync succeeds after waiting as asked', async () => {
    fake.fail({ path: /^\/v1\/tables$/, status: 500, times: 2 });
    fake.fail({ path: /\/countries\/rows$/, status: 429, retryAfter: '1' });
    const started = Date.now();
    const outcome = await sync();
    expect(outcome.countries).toMatchObject({ status: 'ok', rows: 3 });
    expect(outcome.orders).toMatchObject({ status: 'ok' });
    expect(Date.now() - started, 'Retry-After: 1 was honoured').toBeGreaterThanOrEqual(1000);
    expect(logs.text()).toMatch(/answered 429: .*retrying in 1000 ms/);
  });

  it('a slow answer past the timeout is retried like a 5xx', async () => {
    fake.fail({ path: /\/orders\/rows$/, delayMs: 1500 });
    const outcome = await sync();
    expect(outcome.orders).toMatchObject({ status: 'ok', rows: 12 });
    expect(logs.text()).toMatch(/gave no answer within 500ms; retrying/);
  });

  it('a malformed answer fails that table only; its previous data stays, byte for byte', async () => {
    const before = await manifest();
    fake.upsert('orders', [{ id: 13, customer: 'customer 1', amount: 1, updated_at: '2024-03-01T00:00:00Z' }]);
    fake.fail({ path: /\/orders\/rows$/, malformed: true });
    const outcome = await sync();
    expect(outcome.orders).toMatchObject({ status: 'error', error: expect.stringMatching(/orders\/rows\?.* answered 200 with a body that is not JSON/) });
    expect(outcome.countries).toMatchObject({ status: 'ok' });
    const after = await manifest();
    expect(after.orders).toEqual(before.orders);
    const first = before.orders.parts![0];
    expect(md5(await (await admin(`/api/data/orders/download?part=${first.part}`)).arrayBuffer())).toBe(first.hash);

    // JSON of the wrong shape is malformed too; once the source answers properly, the row arrives.
    fake.fail({ path: /\/orders\/rows$/, body: JSON.stringify({ rows: 'none', next_page: null }) });
    expect((await sync()).orders).toMatchObject({ status: 'error', error: expect.stringMatching(/not what the API documents \(rows: /) });
    expect((await sync()).orders).toMatchObject({ status: 'ok', rows: 13 });
  });

  it('the token never appears in logs, sync errors or answers, even when the source echoes it', async () => {
    fake.fail({ path: /\/countries\/rows$/, status: 403, body: JSON.stringify({ error: `token ${TOKEN} may not read countries` }) });
    const outcome = await sync();
    expect(outcome.countries).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/answered 403: .*\[redacted\] may not read countries.*check the token/),
    });
    const res = await admin('/api/admin/sync-history?table=countries');
    const history = ((await res.json()) as { items: HistoryRow[] }).items;
    expect(history[0]).toMatchObject({ status: 'error' });
    expect(JSON.stringify(history)).not.toContain(TOKEN);
    expect(logs.text()).toContain('may not read countries');
    expect(logs.text()).not.toContain(TOKEN);
    // An admin's discover-tables answer quotes a source error in a 200 body: the client masked it already.
    fake.fail({ path: /^\/v1\/tables$/, status: 400, body: `bad token ${TOKEN}` });
    const discovered = await (await admin('/api/admin/discover-tables')).text();
    expect(discovered).toContain('answered 400: bad token [redacted]');
    expect(discovered).not.toContain(TOKEN);
    // The token only ever travels as the Authorization header.
    expect(fake.requests.every((r) => r.authorized && !JSON.stringify(r.query).includes(TOKEN))).toBe(true);
  });

  it('a source that stays down fails the sync as a whole and keeps the previous extract', async () => {
    const before = await manifest();
    fake.down = true;
    try {
      const result = await t.host.syncSource('template');
      expect(result.error).toMatch(/GET \/v1\/tables answered 503: .*gave up after 3 attempts/);
    } finally {
      fake.down = false;
    }
    expect(await manifest()).toEqual(before);
  });
});
