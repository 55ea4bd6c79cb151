// Keboola extraction of a sliced export through the local fake stack (slices served from local
// gzip files by its S3 endpoint) into Parquet, against DuckDB's own CSV→Parquet on the same
// decompressed data, in the same run. Run: `node packages/plugin-keboola/bench/extract.mjs`
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
const { FakeKeboola } = await import(new URL('testing/fake-keboola.js', dist).href);

const TABLE = 'in.c-bench.events';
const COLUMNS = ['id', 'customer_id', 'amount', 'day', 'status', 'created_at'];

async function median(n, fn) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)];
}

/** Returns { ms, baselineMs, ratio } for `rows` rows in `slices` slices. */
export async function benchKeboolaExtract({ rows = 5_000_000, slices = 8, runs = 3, report } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'aida-bench-kbc-'));
  const token = 'bench-token-0000000000';
  process.env.AIDA_BENCH_KBC_TOKEN = token;
  const fake = await FakeKeboola.start(token);
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
    fake.addTable({
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
    });
    fake.exportAs(TABLE, fake.registerSlicedFile(gz));

    const baselineMs = await median(runs, async (i) => {
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      await conn.run(`COPY (FROM read_csv([${plain.map(sqlString).join(', ')}], header = false)) TO ${sqlString(join(dir, `engine-${i}.parquet`))}`);
      conn.closeSync();
      db.closeSync();
    });

    const config = keboolaConfigSchema.parse({
      ...fake.config({ token_env: 'AIDA_BENCH_KBC_TOKEN', tables: [{ id: TABLE }] }),
      timeouts: { request: '30s', idle: '30s', poll_initial: '20ms', poll_max: '100ms' },
    });
    const logger = pino({ level: process.env.BENCH_LOG ?? 'silent' });
    const ms = await median(runs, async (i) => {
      const client = new KeboolaClient({
        url: config.url,
        token,
        timeouts: config.timeouts,
        retries: config.retries,
        maxParallelSlices: config.max_parallel_slices,
        s3Endpoint: config.s3_endpoint,
        logger,
      });
      const connector = new KeboolaConnector(config, client);
      const writer = await ExtractWriter.open(join(dir, 'extracts', `bench_${i}`));
      const report = await connector.extract({ writer, signal: new AbortController().signal, logger });
      if (report.tables[0]?.status !== 'ok' || report.tables[0].rows !== rows) throw new Error(`extraction failed: ${JSON.stringify(report.tables)}`);
      await writer.commit();
    });
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
    return { ms, baselineMs, ratio };
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchKeboolaExtract({ rows: Number(process.env.BENCH_KEBOOLA_ROWS ?? 5_000_000) });
}
