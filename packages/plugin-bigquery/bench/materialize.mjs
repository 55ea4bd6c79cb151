// Materializing a 1,000,000-row table of ten typed columns (the fake's generated table: INT64,
// NUMERIC, FLOAT64, BOOL, two STRINGs, BYTES, DATE, TIMESTAMP, TIME) from the local fake
// BigQuery into Parquet — dry run, query job, result pages fetched several at a time over
// loopback HTTP as f/v JSON, staged, typed, hashed and committed — against DuckDB writing the
// same rows to Parquet itself, in the same run. The fake runs in this process, so its own JSON
// encoding of the pages is part of the measured time.
// Run: `node packages/plugin-bigquery/bench/materialize.mjs` (after `npx tsc -b packages/plugin-bigquery`);
// BENCH_BIGQUERY_ROWS scales it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { ExtractWriter, sqlString } from '@aida/core';
import { pino } from 'pino';

const dist = new URL('../dist/', import.meta.url);
const { BigQueryApi } = await import(new URL('client.js', dist).href);
const { BigQueryConnector } = await import(new URL('connector.js', dist).href);
const { apiOptionsFrom, bigQueryConfigSchema } = await import(new URL('config.js', dist).href);
const { startFakeBigQuery } = await import(new URL('testing/index.js', dist).href);

const PROJECT = 'bench-project';
const KEY_ENV = 'AIDA_BENCH_BQ_SA_JSON';

/** The generated table's ten columns, made by DuckDB from the row number as the fake makes them (see GENERATED_COLUMNS). */
function engineRowsSql(rows) {
  return `SELECT range + 1 AS id,
      CAST(CAST((range % 1000) * 100 + range % 100 AS DECIMAL(18,0)) * 0.01 AS DECIMAL(38,9)) AS amount,
      (range % 1000) / 8.0 AS score,
      range % 2 = 0 AS active,
      'name-' || range AS name,
      CASE WHEN range % 10 = 0 THEN NULL ELSE 'cat-' || (range % 7) END AS category,
      unhex(printf('%02x%02x%02x%02x', range & 255, (range >> 8) & 255, (range >> 16) & 255, (range >> 24) & 255)) AS payload,
      DATE '2024-01-01' + CAST(range % 365 AS INTEGER) AS event_date,
      TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(range) AS updated_at,
      TIME '00:00:00' + to_seconds(range % 86400) AS event_time
    FROM range(${rows})`;
}

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

/** Returns { ms, baselineMs, ratio, rowsPerSecond }. */
export async function benchBigQueryMaterialize({ report, rows = 1_000_000, runs = 3, pageSize = 20_000, pagesInFlight = 4 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'aida-bench-bq-'));
  const fake = await startFakeBigQuery({ projectId: PROJECT, location: 'EU' });
  try {
    fake.addDataset('bench');
    fake.addGeneratedTable({ datasetId: 'bench', tableId: 'events', rows });
    process.env[KEY_ENV] = JSON.stringify(fake.serviceAccountKey());

    const baselineMs = await median(runs, async (i) => {
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      await conn.run(`SET TimeZone = 'UTC'`);
      await conn.run(`COPY (${engineRowsSql(rows)}) TO ${sqlString(join(dir, `engine-${i}.parquet`))} (FORMAT parquet)`);
      conn.closeSync();
      db.closeSync();
    });

    const config = bigQueryConfigSchema.parse({
      project: PROJECT,
      location: 'EU',
      credentials: { service_account_env: KEY_ENV },
      api_endpoint: fake.url,
      token_url: fake.tokenUrl,
      tables: [{ id: 'bench.events', primary_key: ['id'] }],
      page_size: pageSize,
      pages_in_flight: pagesInFlight,
    });
    const logger = pino({ level: process.env.BENCH_LOG ?? 'silent' });
    const ms = await median(runs, async (i) => {
      const connector = new BigQueryConnector(config, new BigQueryApi(apiOptionsFrom(config, logger)));
      const writer = await ExtractWriter.open(join(dir, 'extracts', `bench_${i}`));
      const result = await connector.extract({ writer, signal: new AbortController().signal, logger });
      const t = result.tables[0];
      if (t?.status !== 'ok' || t.rows !== rows) throw new Error(`materialization failed: ${JSON.stringify(result.tables)}`);
      await writer.commit();
    });
    const ratio = ms / baselineMs;
    const rowsPerSecond = Math.round(rows / (ms / 1000));
    const name = `bigquery materialization of ${rows.toLocaleString('en')} rows × 10 typed columns from the fake (dry run, job, ${pagesInFlight} pages in flight, typed Parquet, committed; ${rowsPerSecond.toLocaleString('en')} rows/s)`;
    const baselineName = 'DuckDB writing the same rows to Parquet';
    if (report) {
      // bench/lib.mjs's report(name, value, unit, { baseline, baselineName, target, pass })
      report(name, ms, 'ms', { baseline: baselineMs, baselineName });
    } else {
      console.log(`${name}: ${ms.toFixed(0)} ms  | ${baselineName}: ${baselineMs.toFixed(0)} ms  | ratio ${ratio.toFixed(2)}x`);
    }
    return { ms, baselineMs, ratio, rowsPerSecond };
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchBigQueryMaterialize({ rows: Number(process.env.BENCH_BIGQUERY_ROWS ?? 1_000_000) });
}
