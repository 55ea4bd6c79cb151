import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeboolaError } from '../src/client.js';
import { backoffDelay, parseRetryAfter } from '../src/retry.js';
import { FAKE_SECRETS, FakeKeboola, csvLine } from '../src/testing/fake-keboola.js';
import { TOKEN, captureLogger, clientFor, ordersTable, parseConfig } from './helpers.js';

const ctx = () => ({ signal: new AbortController().signal });

describe('Keboola Storage API client against a local fake stack', () => {
  let fake: FakeKeboola;
  let dir: string;

  beforeAll(async () => {
    fake = await FakeKeboola.start(TOKEN);
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbc-client-'));
    fake.tables.clear();
    fake.injections.length = 0;
    fake.requests.length = 0;
    fake.down = false;
    fake.addTable(ordersTable(10));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists buckets and tables with columns, column metadata and primary keys, sending the token header', async () => {
    const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }] }));
    const buckets = await client.listBuckets(ctx());
    expect(buckets.map((b) => b.id)).toEqual(['in.c-sales']);
    const [table] = await client.listTables(ctx());
    expect(table.id).toBe('in.c-sales.orders');
    expect(table.primaryKey).toEqual(['id']);
    expect(table.columns).toContain('amount');
    expect(table.columnMetadata?.amount.find((m) => m.provider === 'user' && m.key === 'KBC.datatype.length')?.value).toBe('12,2');
    expect(fake.requests.find((r) => r.path === '/v2/storage/tables')?.query.include).toContain('columnMetadata');
    expect(fake.requests.every((r) => r.hadToken)).toBe(true);
  });

  it('exports a table: export-async with gzip, columns and where → polls the job → file detail with federationToken=1 → signed URL', async () => {
    const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }] }));
    const since = new Date('2024-04-30T00:00:00Z');
    const file = await client.exportTable(
      'in.c-sales.orders',
      { changedSince: since, columns: ['id', 'paid'], where: { column: 'paid', values: ['true'], operator: 'eq' } },
      ctx(),
    );
    const [post] = fake.exportRequests();
    expect(post.body).toEqual({
      gzip: true,
      changedSince: String(since.getTime() / 1000),
      columns: ['id', 'paid'],
      whereColumn: 'paid',
      whereValues: ['true'],
      whereOperator: 'eq',
    });
    expect(fake.requests.filter((r) => r.path.startsWith('/v2/storage/jobs/')).length).toBeGreaterThanOrEqual(2);
    expect(fake.requests.find((r) => r.path.startsWith('/v2/storage/files/'))?.query.federationToken).toBe('1');
    expect(file.isSliced).toBe(false);
    const got = await client.download(file, dir, ctx());
    const text = await readFile(got.paths[0], 'utf8');
    expect(text.split('\n')[0]).toBe('"id","paid"');
    expect(text.trim().split('\n')).toHaveLength(1 + 5);
    // Signed URLs are fetched as given and never with the Storage API token.
    expect(fake.requests.filter((r) => r.path.startsWith('/signed/')).every((r) => !r.hadToken)).toBe(true);
  });

  for (const provider of ['aws', 'gcp', 'azure'] as const) {
    it(`downloads a sliced ${provider} export slice by slice, gunzipped, without header rows`, async () => {
      fake.addTable(ordersTable(25, { slices: 4, provider }));
      const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }], max_parallel_slices: 2 }));
      const file = await client.exportTable('in.c-sales.orders', {}, ctx());
      expect(file.isSliced).toBe(true);
      const got = await client.download(file, dir, ctx());
      expect(got.paths).toHaveLength(4);
      const lines = (await Promise.all(got.paths.map((p) => readFile(p, 'utf8')))).join('');
      expect(lines.startsWith(csvLine(fake.tables.get('in.c-sales.orders')!.columns))).toBe(false);
      expect(lines).toContain('"1","customer ""1"", inc"');
      const storage = fake.requests.filter((r) => r.server === 's3' || r.path.startsWith('/gcs/') || r.path.startsWith('/azure/'));
      expect(storage).toHaveLength(4);
      expect(storage.every((r) => !r.hadToken)).toBe(true);
    });
  }

  it('retries a 429 after the Retry-After the server asked for', async () => {
    fake.inject({ path: /^\/v2\/storage\/tables$/, status: 429, retryAfter: '1', times: 1 });
    const { logger, text } = captureLogger();
    const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }] }), logger);
    const t0 = Date.now();
    await client.listTables(ctx());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(fake.requests.filter((r) => r.path === '/v2/storage/tables')).toHaveLength(2);
    expect(text()).toMatch(/answered 429.*retrying/);
  });

  it('retries 5xx and network-slow answers (request timeout) and then succeeds', async () => {
    fake.inject({ path: /^\/v2\/storage\/tables$/, status: 503, times: 2 });
    // Timeouts with room for a loaded machine: a normal answer never takes 1 s, the slow one 3 s.
    fake.inject({ path: /^\/v2\/storage\/buckets$/, delayMs: 3000, times: 1 });
    const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }], timeouts: { request: '1s', poll_initial: '20ms', poll_max: '50ms' } }));
    expect(await client.listTables(ctx())).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path === '/v2/storage/tables')).toHaveLength(3);
    expect(await client.listBuckets(ctx())).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path === '/v2/storage/buckets')).toHaveLength(2);
  });

  it('gives up after retries.max with a message naming the request, and does not retry a 404', async () => {
    fake.inject({ path: /^\/v2\/storage\/tables$/, status: 500, times: 10 });
    const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }], retries: { max: 2, base_delay: '10ms', max_delay: '20ms' } }));
    await expect(client.listTables(ctx())).rejects.toThrow(/GET \/v2\/storage\/tables answered 500.*gave up after 3 attempts/);
    fake.requests.length = 0;
    await expect(client.tableDetail('in.c-sales.missing', ctx())).rejects.toThrow(/404: storage.tables.notFound/);
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses to wait for a Retry-After longer than retries.max_retry_after', async () => {
    fake.inject({ path: /^\/v2\/storage\/tables$/, status: 429, retryAfter: '3600' });
    const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }] }));
    await expect(client.listTables(ctx())).rejects.toThrow(/retry after 3600s/);
  });

  it('reports a failed export job with its message', async () => {
    fake.tables.get('in.c-sales.orders')!.failExport = 'Snowflake unload failed: warehouse suspended';
    const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }] }));
    const err = await client.exportTable('in.c-sales.orders', {}, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeboolaError);
    expect((err as KeboolaError).message).toMatch(/export of in.c-sales.orders job \d+ failed: Snowflake unload failed: warehouse suspended/);
  });

  it('retries a slice whose gzip body was cut short once, and fails clearly when it always is', async () => {
    fake.addTable(ordersTable(40, { slices: 3 }));
    const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }], retries: { max: 2, base_delay: '10ms', max_delay: '20ms' } }));
    fake.inject({ server: 's3', path: /_part_00$/, truncate: true, times: 1 });
    const file = await client.exportTable('in.c-sales.orders', {}, ctx());
    const got = await client.download(file, dir, ctx());
    const text = (await Promise.all(got.paths.map((p) => readFile(p, 'utf8')))).join('');
    expect(text.match(/^"\d+",/gm)).toHaveLength(40);

    fake.inject({ server: 's3', path: /0001_part_00$/, truncate: true, times: 100 });
    const again = await client.exportTable('in.c-sales.orders', {}, ctx());
    await expect(client.download(again, dir, ctx())).rejects.toThrow(/slice 2\/3 of file \d+: truncated or corrupt gzip data.*gave up after 3 attempts/);
  });

  it('retries a slice whose gzip CRC-32 does not match its bytes (all of them decode), and fails clearly when it never does', async () => {
    fake.addTable(ordersTable(40, { slices: 2 }));
    const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }], retries: { max: 1, base_delay: '10ms', max_delay: '20ms' } }));
    fake.inject({ server: 's3', path: /0000_part_00$/, corrupt: true, times: 1 });
    const got = await client.download(await client.exportTable('in.c-sales.orders', {}, ctx()), dir, ctx());
    expect((await Promise.all(got.paths.map((p) => readFile(p, 'utf8')))).join('').match(/^"\d+",/gm)).toHaveLength(40);

    fake.inject({ server: 's3', path: /0001_part_00$/, corrupt: true, times: 100 });
    const again = await client.exportTable('in.c-sales.orders', {}, ctx());
    await expect(client.download(again, dir, ctx())).rejects.toThrow(
      /slice 2\/2 of file \d+: truncated or corrupt gzip data \(incorrect data check\).*gave up after 2 attempts/,
    );
  });

  it('aborts a download that stalls (idle timeout) and retries it', async () => {
    fake.addTable(ordersTable(10, { slices: 1 }));
    const client = clientFor(
      parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }], timeouts: { request: '1s', idle: '1s', poll_initial: '20ms', poll_max: '50ms' } }),
    );
    fake.inject({ server: 's3', path: /_part_00$/, delayMs: 3000, times: 1 });
    const file = await client.exportTable('in.c-sales.orders', {}, ctx());
    const got = await client.download(file, dir, ctx());
    expect((await readFile(got.paths[0], 'utf8')).match(/^"\d+",/gm)).toHaveLength(10);
    expect(fake.requests.filter((r) => r.server === 's3')).toHaveLength(2);
  });

  it('never puts the token, storage credentials or URL signatures into errors or log lines', async () => {
    const { logger, text } = captureLogger();
    fake.addTable(ordersTable(10, { slices: 2 }));
    const client = clientFor(parseConfig(fake, { tables: [{ id: 'in.c-sales.orders' }], retries: { max: 1, base_delay: '10ms', max_delay: '20ms' } }), logger);
    // A server that echoes the token back in its error body.
    fake.inject({
      path: /^\/v2\/storage\/tables$/,
      status: 400,
      body: JSON.stringify({ error: `token ${TOKEN} is not valid here`, code: 'x', status: 'error' }),
    });
    const e1 = (await client.listTables(ctx()).catch((e: unknown) => e)) as Error;
    expect(e1.message).toContain('[redacted]');
    fake.inject({ path: /^\/signed\//, status: 503, times: 5 });
    const file = await client.exportTable('in.c-sales.orders', {}, ctx());
    const e2 = (await client.download(file, dir, ctx()).catch((e: unknown) => e)) as Error;
    fake.inject({ server: 's3', path: /_part_00$/, status: 500, times: 10 });
    const e3 = (await client.download(file, dir, ctx()).catch((e: unknown) => e)) as Error;
    for (const e of [e1, e2, e3]) {
      expect(e).toBeInstanceOf(KeboolaError);
      for (const s of [TOKEN, ...FAKE_SECRETS]) expect(`${e.message}\n${e.stack}`).not.toContain(s);
    }
    expect(text()).toMatch(/retrying/);
    for (const s of [TOKEN, ...FAKE_SECRETS]) expect(text()).not.toContain(s);
  });
});

describe('retry arithmetic', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
  it('backs off exponentially with jitter, capped', () => {
    const policy = { baseDelay: 100, maxDelay: 1000 };
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
  });
});
