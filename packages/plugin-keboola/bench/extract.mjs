// Keboola extraction of a sliced export through the local fake stack (on its own thread, its S3
// endpoint serving the gzip slices) into Parquet, against DuckDB's own CSV→Parquet on the same
// decompressed data, in the same run: interleaved pairs, compared by their medians, so machine
// noise hits both sides alike. Run: `node --expose-gc packages/plugin-keboola/bench/extract.mjs`
// (after `npx tsc -b packages/plugin-keboola`); BENCH_KEBOOLA_ROWS scales it.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { createGzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { ExtractWriter, sqlString } from '@aida/core';
import { pino } from 'pino';

const dist = new URL('../dist/', import.meta.url);
const { KeboolaClient } = await import(new URL('client.js', dist).href);
const { KeboolaConnector } = await import(new URL('connector.js', dist).href);
const { keboolaConfigSchema } = await import(new URL('config.js', dist).href);
const { startFakeKeboolaThread } = await import(new URL('./fake-thread.mjs', import.meta.url).href);

const TABLE = 'in.c-bench.events';
const COLUMNS = ['id', 'customer_id', 'amount', 'day', 'status', 'created_at'];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall and CPU milliseconds of `fn` (CPU of the whole process: every thread, DuckDB's too). */
async function measure(fn) {
  globalThis.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Returns { ms, baselineMs, ratio, cpuMs, baselineCpuMs } for `rows` rows in `slices` slices. */
export async function benchKeboolaExtract({ rows = 5_000_000, slices = 8, runs = 5, report } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'aida-bench-kbc-'));
  const token = 'bench-token-0000000000';
  process.env.AIDA_BENCH_KBC_TOKEN = token;
  let fake;
  try {
    // Keboola's slice format: no header, every value quoted; then gzip, as Keboola stores them.
    const csvDir = join(dir, 'csv');
    await mkdir(csvDir);
    const plain = [];
    const gz = [];
    {
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      const per = Math.ceil(rows / slices);
      for (let s = 0; s < slices; s++) {
        const path = join(csvDir, `slice-${s}.csv`);
        await conn.run(`COPY (SELECT range AS id, range % 1000 AS customer_id, (range * 7919 % 100000) / 100.0 AS amount,
          DATE '2024-01-01' + INTERVAL (range % 700) DAY AS day, 'status_' || (range % 7) AS status,
          TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (range) SECOND AS created_at
          FROM range(${s * per}, ${Math.min(rows, (s + 1) * per)}))
          TO ${sqlString(path)} (FORMAT csv, HEADER false, FORCE_QUOTE *)`);
        plain.push(path);
        gz.push(`${path}.gz`);
        await pipeline(createReadStream(path), createGzip({ level: 6 }), createWriteStream(`${path}.gz`));
      }
      conn.closeSync();
      db.closeSync();
    }
    fake = await startFakeKeboolaThread({
      token,
      slices: gz,
      table: {
        id: TABLE,
        columns: COLUMNS,
        primaryKey: ['id'],
        types: {
          id: { basetype: 'INTEGER' },
          customer_id: { basetype: 'INTEGER' },
          amount: { basetype: 'NUMERIC', length: '12,2' },
          day: { basetype: 'DATE' },
          status: { basetype: 'STRING' },
          created_at: { basetype: 'TIMESTAMP' },
        },
        rows: [],
      },
    });

    const baseline = async (i) => {
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      await conn.run(`COPY (FROM read_csv([${plain.map(sqlString).join(', ')}], header = false)) TO ${sqlString(join(dir, `engine-${i}.parquet`))}`);
      conn.closeSync();
      db.closeSync();
    };

    const config = keboolaConfigSchema.parse({
      ...fake.config({ token_env: 'AIDA_BENCH_KBC_TOKEN', tables: [{ id: TABLE }] }),
      timeouts: { request: '30s', idle: '30s', poll_initial: '20ms', poll_max: '100ms' },
    });
    const logger = pino({ level: process.env.BENCH_LOG ?? 'silent' });
    const extraction = async (i) => {
      const client = new KeboolaClient({
        url: config.url,
        token,
        timeouts: config.timeouts,
        retries: config.retries,
        maxParallelSlices: config.max_parallel_slices,
        s3Endpoint: config.s3_endpoint,
        logger,
        // BENCH_KEBOOLA_GUNZIP=main: gunzip on the main thread, as before the gunzip worker.
        ...(process.env.BENCH_KEBOOLA_GUNZIP === 'main' ? { gunzipWorker: null } : {}),
      });
      const connector = new KeboolaConnector(config, client);
      const writer = await ExtractWriter.open(join(dir, 'extracts', `bench_${i}`));
      const report = await connector.extract({ writer, signal: new AbortController().signal, logger });
      if (report.tables[0]?.status !== 'ok' || report.tables[0].rows !== rows) throw new Error(`extraction failed: ${JSON.stringify(report.tables)}`);
      await writer.commit();
    };
    const base = [];
    const ext = [];
    for (let i = 0; i < runs; i++) {
      base.push(await measure(() => baseline(i)));
      ext.push(await measure(() => extraction(i)));
      await rm(join(dir, `engine-${i}.parquet`), { force: true });
      await rm(join(dir, 'extracts', `bench_${i}`), { recursive: true, force: true });
    }
    const ms = median(ext.map((r) => r.ms));
    const baselineMs = median(base.map((r) => r.ms));
    const cpuMs = median(ext.map((r) => r.cpuMs));
    const baselineCpuMs = median(base.map((r) => r.cpuMs));
    const ratio = ms / baselineMs;
    const name = `keboola extraction of a ${rows.toLocaleString('en')}-row sliced export (${slices} gzip slices via the fake S3; typed, hashed, committed)`;
    const baselineName = "DuckDB's COPY (FROM read_csv) TO parquet on the decompressed slices";
    if (report) {
      // bench/lib.mjs's report(name, value, unit, { baseline, baselineName, target, pass })
      report(name, ms, 'ms', { baseline: baselineMs, baselineName, target: '<= 1.5x', pass: ratio <= 1.5 });
    } else {
      console.log(
        `${name}: ${ms.toFixed(0)} ms  | ${baselineName}: ${baselineMs.toFixed(0)} ms  | ratio ${ratio.toFixed(2)}x  | target <= 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'}`,
      );
    }
    console.log(
      `  CPU (process, all threads; the fake's thread included on the extraction side): extraction ${cpuMs.toFixed(0)} ms, baseline ${baselineCpuMs.toFixed(0)} ms, ratio ${(cpuMs / baselineCpuMs).toFixed(2)}x; runs: ${ext.map((r, i) => `${r.ms.toFixed(0)}/${base[i].ms.toFixed(0)}`).join(' ')} ms`,
    );
    return { ms, baselineMs, ratio, cpuMs, baselineCpuMs };
  } finally {
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchKeboolaExtract({ rows: Number(process.env.BENCH_KEBOOLA_ROWS ?? 5_000_000) });
}
