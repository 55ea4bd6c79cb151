// (g) The query API (POST /api/query) against the same SQL on in-process DuckDB, in the same
// run, over a 10,000,000-row table served the way the host serves every table (a view over a
// Parquet extract in the read-only analytics database):
//   1. aggregate queries, HTTP + sandbox check + JSON vs DuckDB in-process (target <= 1.15x);
//   2. exports of all 10M rows as NDJSON, CSV and Parquet vs DuckDB's own COPY of the same query
//      to a file (<= 1.5x), with throughput, time to first byte and the process's peak RSS
//      growth (< 200 MB), each the median of interleaved runs with the COPY in a process of its own;
//   3. a 100,000-row JSON result vs fetching the same rows in-process as JS values (<= 2x).
// The host runs in this process (as in data-api.mjs); the export client, which only counts
// bytes, runs in a process of its own, so RSS is the server's.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { ExtractWriter } from '@aida/core';
import { median, report, time, withTempDir, startBenchHost } from './lib.mjs';

const COLUMNS = `
  range AS id,
  (range % 100000)::INTEGER AS customer_id,
  (hash(range) % 1000000) / 100.0 AS amount,
  ((hash(range + 1) % 100000) / 100.0)::DECIMAL(12, 2) AS price,
  'status_' || (range % 7) AS status,
  'country_' || (hash(range + 3) % 50) AS country,
  DATE '2020-01-01' + (range % 1500)::INTEGER AS day,
  TIMESTAMP '2020-01-01' + INTERVAL (range % 100000000) SECOND AS created_at,
  range % 3 <> 0 AS is_active`;

const AGGREGATES = [
  'SELECT status, count(*) AS n, sum(amount) AS total, avg(price) AS avg_price FROM events GROUP BY status ORDER BY status',
  "SELECT country, count(DISTINCT customer_id) AS customers, max(created_at) AS last FROM events WHERE day >= DATE '2022-01-01' GROUP BY ALL ORDER BY customers DESC LIMIT 20",
  'SELECT customer_id, sum(amount) AS total FROM events GROUP BY 1 ORDER BY 2 DESC LIMIT 100',
];
/** argv[2] of the export client's process (see readExport). */
const CLIENT_FLAG = '--export-client';
/** argv[2] of the baseline COPY's process (see copyInOwnProcess). */
const COPY_FLAG = '--copy';
const EXPORT_RUNS = 3;

const ROWS_100K = 'SELECT * FROM events WHERE id < 100000 ORDER BY id';

async function json(url, headers, body) {
  const res = await fetch(`${url}/api/query`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const out = await res.json();
  if (res.status !== 200) throw new Error(`query failed: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

const EXPORTS_ALL = [
  { format: 'ndjson', name: 'NDJSON', copy: 'FORMAT json' },
  { format: 'csv', name: 'CSV', copy: 'FORMAT csv, HEADER' },
  { format: 'parquet', name: 'Parquet', copy: 'FORMAT parquet' },
];
const EXPORTS = process.env.BENCH_EXPORTS ? EXPORTS_ALL.filter((e) => process.env.BENCH_EXPORTS.split(',').includes(e.format)) : EXPORTS_ALL;

/**
 * The export client: POST /api/query for every row in `format`, read to the end counting
 * bytes (and lines, or the row-count trailer for Parquet). It runs in a process of its own
 * (see exportAll), as autocannon does in lib.mjs, so that its reading does not share the
 * server's event loop: in one process every byte was written and read by the same thread.
 */
async function readExport(url, auth, format) {
  const t0 = performance.now();
  const body = JSON.stringify({ sql: 'SELECT * FROM events', format });
  // node:http, not fetch(): a consumer that only counts bytes, as curl would be (fetch's web
  // streams cost about twice the CPU per byte, taken from the same two cores as the server).
  const res = await new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/query`,
      { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      resolve,
    );
    req.on('error', reject);
    req.end(body);
  });
  if (res.statusCode !== 200) {
    const chunks = [];
    for await (const c of res) chunks.push(c);
    throw new Error(`${format} export failed: ${res.statusCode} ${Buffer.concat(chunks).toString()}`);
  }
  let lines = 0;
  let bytes = 0;
  let firstByteMs = 0;
  for await (const chunk of res) {
    if (!bytes) firstByteMs = performance.now() - t0;
    bytes += chunk.length;
    if (format !== 'parquet') for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  const ms = performance.now() - t0;
  const rows = format === 'parquet' ? Number(res.trailers['x-row-count']) : format === 'csv' ? lines - 1 : lines;
  return { ms, bytes, firstByteMs, rows };
}

/**
 * One export read by a client process (readExport), with the peak RSS growth of this process
 * — the server's — while it ran, sampled every 50 ms.
 */
async function exportAll(url, auth, format, rows) {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const client = spawn(process.execPath, [fileURLToPath(import.meta.url), CLIENT_FLAG, JSON.stringify({ url, auth, format })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    client.stdout.on('data', (d) => (out += d));
    const code = await new Promise((resolve, reject) => client.once('error', reject).once('exit', resolve));
    if (code !== 0) throw new Error(`the ${format} export client exited ${code}`);
    const got = JSON.parse(out);
    if (got.rows !== rows) throw new Error(`${format} export had ${got.rows} rows, expected ${rows}`);
    return { ...got, baseMb: base / 1024 / 1024, growthMb: (peak - base) / 1024 / 1024 };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * DuckDB's own COPY of every row to `target`, on a fresh read-only instance of the analytics
 * file (with DuckDB's defaults: every core, no memory limit) in a process of its own; the ms
 * of the COPY alone, timed in that process.
 */
async function copyInOwnProcess(path, target, options) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), COPY_FLAG, JSON.stringify({ path, target, options })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve, reject) => child.once('error', reject).once('exit', resolve));
  await rm(target, { force: true });
  if (code !== 0) throw new Error(`the baseline COPY exited ${code}`);
  return JSON.parse(out).ms;
}

async function copyOnce({ path, target, options }) {
  const db = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  const t0 = performance.now();
  await conn.run(`COPY (SELECT * FROM events) TO '${target}' (${options})`);
  const ms = performance.now() - t0;
  conn.closeSync();
  db.closeSync();
  return { ms };
}

export async function benchQuery({ rows = 10_000_000, runs = 7 } = {}) {
  await withTempDir('aida-bench-query-', async (dataDir) => {
    const made = await time(async () => {
      const w = await ExtractWriter.open(join(dataDir, 'extracts', 'bench'));
      await w.writeTable('events', `SELECT ${COLUMNS} FROM range(${rows})`);
      await w.commit();
    });
    console.log(`(g) wrote ${rows.toLocaleString('en')} rows × 9 columns in ${made.ms.toFixed(0)} ms`);

    // The engine-time budget (30 s by default) is raised: this measures throughput, and a
    // loaded machine could otherwise cut the 10M-row exports off part-way.
    const { host, url, close, admin: auth } = await startBenchHost(dataDir, { query: { timeout: '10m' } });
    // Measured on a settled host: a fresh one profiles the 10M-row table in the background first.
    await host.idle();

    // The same file, opened in this process the way AnalyticsDb opens it.
    const db = await DuckDBInstance.create(host.analytics.path, { access_mode: 'READ_ONLY' });
    const conn = await db.connect();
    await conn.run(`SET allowed_directories = ['${join(dataDir, 'extracts')}/']`);
    await conn.run('SET enable_external_access = false');
    const engine = async (sql) => (await conn.runAndReadAll(sql)).getRowsJS();
    try {
      // Warm the page cache and both instances' metadata caches.
      await engine('SELECT count(*), sum(hash(COLUMNS(*))) FROM events');
      for (const sql of AGGREGATES) {
        await engine(sql);
        await json(url, auth, { sql });
      }

      // 1. Aggregates: interleaved runs so machine noise hits both sides alike.
      const api = [];
      const inproc = [];
      for (let i = 0; i < runs; i++) {
        let a = 0;
        let b = 0;
        for (const sql of AGGREGATES) {
          b += (await time(() => engine(sql))).ms;
          a += (await time(() => json(url, auth, { sql }))).ms;
        }
        api.push(a);
        inproc.push(b);
      }
      const ratio1 = median(api) / median(inproc);
      report(`query API, ${AGGREGATES.length} aggregate queries over ${rows.toLocaleString('en')} rows (median of ${runs})`, median(api), 'ms', {
        baseline: median(inproc),
        baselineName: 'same SQL, in-process DuckDB',
        target: '<= 1.15x (reference: 1.6x)',
        pass: ratio1 <= 1.15,
      });

      // 2. Every row exported as NDJSON, CSV and Parquet, each against DuckDB's own COPY of the
      // same query to a file, measured in the same run: interleaved (export, COPY) pairs, median
      // of EXPORT_RUNS, so that the machine's speed drifting over a minute hits both sides
      // alike. The COPY runs on a fresh instance in a process of its own (the host's scratch
      // instance is fresh per export too), timed there: a COPY's memory stays in a process's
      // RSS once freed (1 GB at two threads for JSON), which would hide the exports' growth.
      for (const e of EXPORTS) {
        const outs = [];
        const copies = [];
        for (let i = 0; i < EXPORT_RUNS; i++) {
          outs.push(await exportAll(url, auth, e.format, rows));
          copies.push(await copyInOwnProcess(host.analytics.path, join(dataDir, `copy.${e.format}`), e.copy));
        }
        const ms = median(outs.map((o) => o.ms));
        const copyMs = median(copies);
        const out = outs.find((o) => o.ms === ms) ?? outs[0];
        const growthMb = Math.max(...outs.map((o) => o.growthMb));
        const mb = out.bytes / 1024 / 1024;
        const ratio = ms / copyMs;
        report(
          `${e.name} export of ${rows.toLocaleString('en')} rows (${mb.toFixed(0)} MB, ${(mb / (ms / 1000)).toFixed(0)} MB/s, first byte ${out.firstByteMs.toFixed(0)} ms, median of ${EXPORT_RUNS}), peak RSS growth ${growthMb.toFixed(0)} MB over ${out.baseMb.toFixed(0)} MB`,
          ms,
          'ms',
          {
            baseline: copyMs,
            baselineName: `DuckDB's own COPY … (${e.copy}) to a file, fresh instance`,
            target: '<= 1.5x, peak RSS growth < 200 MB',
            pass: ratio <= 1.5 && growthMb < 200,
          },
        );
        console.log(`  runs (export/COPY ms): ${outs.map((o, i) => `${o.ms.toFixed(0)}/${copies[i].toFixed(0)}`).join(' ')}`);
      }

      // 3. A 100,000-row JSON result vs the same rows fetched in-process as JS values.
      const api100 = [];
      const in100 = [];
      for (let i = 0; i < runs; i++) {
        in100.push((await time(() => engine(ROWS_100K))).ms);
        api100.push(
          (
            await time(async () => {
              const r = await json(url, auth, { sql: ROWS_100K, limit: 100_000 });
              if (r.row_count !== 100_000) throw new Error(`got ${r.row_count} rows`);
            })
          ).ms,
        );
      }
      const ratio3 = median(api100) / median(in100);
      report('query API, 100,000-row JSON result (9 columns, parsed by the client)', median(api100), 'ms', {
        baseline: median(in100),
        baselineName: 'runAndReadAll + getRowsJS in-process',
        target: '<= 2x',
        pass: ratio3 <= 2,
      });
    } finally {
      conn.closeSync();
      db.closeSync();
      await close();
      await host.stop();
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === COPY_FLAG) {
  process.stdout.write(JSON.stringify(await copyOnce(JSON.parse(process.argv[3]))));
} else if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === CLIENT_FLAG) {
  const { url, auth, format } = JSON.parse(process.argv[3]);
  process.stdout.write(JSON.stringify(await readExport(url, auth, format)));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const { printSummary } = await import('./lib.mjs');
  await benchQuery({ rows: Number(process.env.BENCH_QUERY_ROWS ?? 10_000_000) });
  printSummary();
}
