// Downloads gunzipped on the worker thread (the compiled dist/gunzip-worker.js: run
// `npx tsc -b packages/plugin-keboola` first), over real HTTP from the fake stack, with
// truncated and corrupt bodies, a dying worker and an abort.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ExtractWriter, readExtract } from '@aida/core';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeboolaClient } from '../src/client.js';
import { clientOptionsFrom, type KeboolaConfig } from '../src/config.js';
import { KeboolaConnector } from '../src/connector.js';
import { GunzipThread } from '../src/gunzip-thread.js';
import { FakeKeboola } from '../src/testing/fake-keboola.js';
import { TOKEN, captureLogger, orderRow, ordersTable, parseConfig } from './helpers.js';

const WORKER = new URL('../dist/gunzip-worker.js', import.meta.url);
const EXITING_WORKER = new URL('./fixtures/exiting-gunzip-worker.mjs', import.meta.url);
const ORDERS = 'in.c-sales.orders';
const BLOBS = 'in.c-sales.blobs';
const ctx = () => ({ signal: new AbortController().signal });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('downloads gunzipped on the worker thread', () => {
  let fake: FakeKeboola;
  let dir: string;

  const config = (extra: Record<string, unknown> = {}) =>
    parseConfig(fake, { tables: [{ id: ORDERS }], retries: { max: 2, base_delay: '10ms', max_delay: '20ms' }, ...extra });
  const client = (c: KeboolaConfig, gunzipWorker: URL | null = WORKER, logger = captureLogger().logger) =>
    new KeboolaClient({ ...clientOptionsFrom(c, TOKEN, logger), gunzipWorker });

  beforeAll(async () => {
    if (!existsSync(fileURLToPath(WORKER))) throw new Error(`${fileURLToPath(WORKER)} is missing: run npx tsc -b packages/plugin-keboola first`);
    fake = await FakeKeboola.start(TOKEN);
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbc-gunzip-'));
    fake.tables.clear();
    fake.injections.length = 0;
    fake.requests.length = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the same CSV bytes as a main-thread gunzip, for sliced S3, GCS and Azure exports and a non-sliced file', async () => {
    for (const [provider, slices] of [
      ['aws', 4],
      ['gcp', 3],
      ['azure', 2],
      ['aws', undefined],
    ] as const) {
      fake.tables.clear();
      fake.addTable(ordersTable(300, { slices, provider }));
      const c = config();
      const file = await client(c).exportTable(ORDERS, {}, ctx());
      const threaded = await client(c).download(file, await mkdtemp(join(dir, 'w-')), ctx());
      const main = await client(c, null).download(file, await mkdtemp(join(dir, 'm-')), ctx());
      expect(threaded.paths).toHaveLength(slices ?? 1);
      expect(threaded.bytes).toBe(main.bytes);
      for (let i = 0; i < main.paths.length; i++) {
        expect(sha256(await readFile(threaded.paths[i]))).toBe(sha256(await readFile(main.paths[i])));
      }
    }
  });

  it('retries a slice cut short once; one always cut short fails, naming the slice and the cause', async () => {
    fake.addTable(ordersTable(40, { slices: 3 }));
    const c = config();
    fake.inject({ server: 's3', path: /_part_00$/, truncate: true, times: 1 });
    const got = await client(c).download(await client(c).exportTable(ORDERS, {}, ctx()), dir, ctx());
    const text = (await Promise.all(got.paths.map((p) => readFile(p, 'utf8')))).join('');
    expect(text.match(/^"\d+",/gm)).toHaveLength(40);

    fake.inject({ server: 's3', path: /0001_part_00$/, truncate: true, times: 100 });
    const again = await client(c).exportTable(ORDERS, {}, ctx());
    await expect(client(c).download(again, dir, ctx())).rejects.toThrow(/slice 2\/3 of file \d+: truncated or corrupt gzip data.*gave up after 3 attempts/);
  });

  it('a body whose bytes all decode but whose gzip CRC-32 does not match fails the download (it is never taken as complete)', async () => {
    fake.addTable(ordersTable(40, { slices: 2 }));
    const c = config();
    fake.inject({ server: 's3', path: /0000_part_00$/, corrupt: true, times: 1 });
    const got = await client(c).download(await client(c).exportTable(ORDERS, {}, ctx()), dir, ctx());
    expect((await Promise.all(got.paths.map((p) => readFile(p, 'utf8')))).join('').match(/^"\d+",/gm)).toHaveLength(40);
    expect(fake.requests.filter((r) => r.server === 's3' && r.path.endsWith('0000_part_00'))).toHaveLength(2);

    fake.inject({ server: 's3', path: /0001_part_00$/, corrupt: true, times: 100 });
    const again = await client(c).exportTable(ORDERS, {}, ctx());
    await expect(client(c).download(again, dir, ctx())).rejects.toThrow(
      /slice 2\/2 of file \d+: truncated or corrupt gzip data \(incorrect data check\).*gave up/,
    );
  });

  it('a worker that dies mid-download fails the download loudly after its retries', async () => {
    fake.addTable(ordersTable(40, { slices: 2 }));
    const c = config();
    const file = await client(c).exportTable(ORDERS, {}, ctx());
    await expect(client(c, EXITING_WORKER).download(file, dir, ctx())).rejects.toThrow(
      /slice \d\/2 of file \d+: the gunzip thread stopped: exit code 3.*gave up after 3 attempts/,
    );
  });

  /** A table exported as two slices of ~3 MB of gzip each (random text does not compress): the worker has bytes of both halfway. */
  function bigSlices(): Buffer[] {
    fake.addTable({ id: BLOBS, columns: ['id', 'blob'], primaryKey: ['id'], rows: [] });
    const slices = [0, 1].map((s) =>
      gzipSync(Array.from({ length: 3000 }, (_, i) => `"${s * 3000 + i}","${randomBytes(1000).toString('hex')}"\n`).join(''), { level: 1 }),
    );
    fake.exportAs(BLOBS, fake.registerSlicedFile(slices));
    return slices;
  }

  it('an abort mid-body stops the downloads on the worker at once', async () => {
    bigSlices();
    const c = config({ timeouts: { request: '5s', idle: '5s', poll_initial: '20ms', poll_max: '50ms' } });
    const file = await client(c).exportTable(BLOBS, {}, ctx());
    fake.inject({ server: 's3', path: /_part_00$/, pauseMidBodyMs: 3000, times: 2 });
    const abort = new AbortController();
    const started = performance.now();
    setTimeout(() => abort.abort(new Error('extraction cancelled')), 300);
    await expect(client(c).download(file, dir, { signal: abort.signal })).rejects.toThrow(/extraction cancelled/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a body that stalls midway is abandoned after the idle timeout and downloaded again, whole', async () => {
    const slices = bigSlices();
    const c = config({ timeouts: { request: '5s', idle: '500ms', poll_initial: '20ms', poll_max: '50ms' } });
    const file = await client(c).exportTable(BLOBS, {}, ctx());
    fake.inject({ server: 's3', path: /0001_part_00$/, pauseMidBodyMs: 3000, times: 1 });
    const got = await client(c).download(file, dir, ctx());
    for (const [i, p] of got.paths.entries()) expect((await readFile(p)).equals(gunzipSync(slices[i]))).toBe(true);
    expect(fake.requests.filter((r) => r.server === 's3' && r.path.endsWith('0001_part_00'))).toHaveLength(2);
  });

  it('the worker serves concurrent downloads and stops once idle', async () => {
    const thread = new GunzipThread(WORKER, 50);
    const csv = Array.from({ length: 3 }, (_, i) => Buffer.from(`"${i}","${'x'.repeat(3_000_000 + i)}"\n`));
    const sinks = csv.map((_, i) => thread.sink(join(dir, `${i}.csv`)));
    await Promise.all(
      sinks.map(
        (sink, i) =>
          new Promise<void>((resolve, reject) => {
            sink.on('finish', resolve).on('error', reject);
            const gz = gzipSync(csv[i]);
            // Odd-sized writes across the 1 MiB batches.
            for (let at = 0; at < gz.length; at += 77_777) sink.write(gz.subarray(at, at + 77_777));
            sink.end();
          }),
      ),
    );
    expect(thread.running).toBe(true);
    for (let i = 0; i < csv.length; i++) {
      expect(sinks[i].bytes).toBe(csv[i].length);
      expect((await readFile(join(dir, `${i}.csv`))).equals(csv[i])).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(thread.running).toBe(false);
  });

  it('in an extraction, a slice that stays corrupt is a table error: the previous Parquet and extract stay as they were', async () => {
    fake.addTable(ordersTable(30, { slices: 3 }));
    const sourceDir = join(dir, 'extracts', 'keboola');
    const sync = async (c: KeboolaConfig) => {
      const writer = await ExtractWriter.open(sourceDir);
      const report = await new KeboolaConnector(c, client(c)).extract({ writer, signal: new AbortController().signal, logger: captureLogger().logger });
      await writer.commit();
      return report;
    };
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      expect((await sync(config())).tables[0]).toMatchObject({ status: 'ok', rows: 30 });
      const before = await readExtract(conn, join(sourceDir, 'extract.duckdb'));
      const parquet = join(sourceDir, before.files[0].path);
      const bytes = sha256(await readFile(parquet));

      fake.upsert(ORDERS, [orderRow(31)]);
      fake.inject({ server: 's3', path: /0002_part_00$/, corrupt: true, times: 100 });
      const report = await sync(config({ retries: { max: 1, base_delay: '10ms', max_delay: '20ms' } }));
      expect(report.tables[0]).toMatchObject({ status: 'error', error: expect.stringMatching(/slice 3\/3 .*truncated or corrupt gzip data/) });
      const after = await readExtract(conn, join(sourceDir, 'extract.duckdb'));
      expect(after.files).toEqual(before.files);
      expect(after.meta.map((m) => [m.table_name, m.rows])).toEqual([['orders', 30]]);
      expect(sha256(await readFile(parquet))).toBe(bytes);
      expect(readdirSync(sourceDir).filter((n) => n.startsWith('.staging'))).toEqual([]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
