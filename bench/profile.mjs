// (f) Column profiles of a 10,000,000-row × 20-column table against DuckDB's own SUMMARIZE
// of the same table, in the same run, on the same kind of database the host profiles (a
// read-only analytics database whose table is a view over a Parquet file).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlString } from '@aida/core';
import { median, report, time, withTempDir } from './lib.mjs';

const COLUMNS = `
  range AS id,
  (range % 100000)::INTEGER AS customer_id,
  (range % 10)::INTEGER AS qty,
  (hash(range) % 1000000) / 100.0 AS amount,
  ((hash(range + 1) % 100000) / 100.0)::DECIMAL(12, 2) AS price,
  CASE WHEN range % 4 = 0 THEN (range % 50) / 100.0 ELSE 0 END AS discount,
  CASE WHEN range % 10 = 0 THEN NULL ELSE (hash(range + 2) % 1000) / 10.0 END AS score,
  'status_' || (range % 7) AS status,
  'country_' || (hash(range + 3) % 50) AS country,
  'user' || (range % 3000000) || '@example.com' AS email,
  CASE WHEN range % 3 = 0 THEN 'note ' || (range % 1000) END AS note,
  'category_' || (range % 200) AS category,
  DATE '2020-01-01' + (range % 1500)::INTEGER AS day,
  TIMESTAMP '2020-01-01' + INTERVAL (range % 100000000) SECOND AS created_at,
  TIMESTAMP '2021-01-01' + INTERVAL (hash(range + 4) % 100000000) SECOND AS updated_at,
  range % 3 <> 0 AS is_active,
  range % 97 = 0 AS flag,
  (range % 30000)::SMALLINT AS small,
  (hash(range + 5) % 1000000000000)::BIGINT AS big,
  ((hash(range + 6) % 10000) / 7.0)::FLOAT AS ratio`;

/** `profileTable` on a 10M × 20 table vs `SUMMARIZE` of it; full scan and default (sampled) profiles. */
export async function benchProfile({ rows = 10_000_000, runs = 3 } = {}) {
  const { profileTable } = await import('../packages/host/dist/data/profiles/profiler.js');
  await withTempDir('aida-bench-profile-', async (dir) => {
    await mkdir(join(dir, 'extracts'));
    const parquet = join(dir, 'extracts', 'events.parquet');
    const dbPath = join(dir, 'server.duckdb');
    {
      const db = await DuckDBInstance.create(dbPath);
      const conn = await db.connect();
      const made = await time(() => conn.run(`COPY (SELECT ${COLUMNS} FROM range(${rows})) TO ${sqlString(parquet)} (FORMAT parquet)`));
      await conn.run(`CREATE VIEW events AS SELECT * FROM read_parquet(${sqlString(parquet)})`);
      conn.closeSync();
      db.closeSync();
      console.log(`(f) wrote ${rows.toLocaleString('en')} rows × 20 columns to Parquet in ${made.ms.toFixed(0)} ms`);
    }
    // Opened the way AnalyticsDb opens the analytics database.
    const db = await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY' });
    const conn = await db.connect();
    await conn.run(`SET allowed_directories = [${sqlString(`${join(dir, 'extracts')}/`)}]`);
    await conn.run('SET enable_external_access = false');
    try {
      // Warm the OS page cache so neither side pays the first read.
      await conn.run('SELECT count(*), sum(hash(COLUMNS(*))) FROM events');
      // Interleaved, so load from anything else on the machine hits all three alike.
      const times = { summarize: [], full: [], sampled: [] };
      let full;
      let sampled;
      for (let i = 0; i < runs; i++) {
        times.summarize.push((await time(() => conn.runAndReadAll('SUMMARIZE events'))).ms);
        const f = await time(() => profileTable(conn, 'events', { sampleThreshold: Number.POSITIVE_INFINITY }));
        times.full.push(f.ms);
        full = f.value;
        const s = await time(() => profileTable(conn, 'events'));
        times.sampled.push(s.ms);
        sampled = s.value;
      }
      const summarize = median(times.summarize);
      const fullMs = median(times.full);
      const sampledMs = median(times.sampled);
      console.log(
        `(f) runs (ms): SUMMARIZE ${times.summarize.map(Math.round).join(', ')} | full ${times.full.map(Math.round).join(', ')} | sampled ${times.sampled.map(Math.round).join(', ')}`,
      );
      console.log(`(f) full profile: ${full.scans} scans, ${full.alerts.length} alerts, methods ${JSON.stringify(full.methods)}`);
      console.log(
        `(f) default profile: sampled=${sampled.sampled} (${sampled.sample_method}) sample_size=${sampled.sample_size} rows=${sampled.rows}, ${sampled.scans} scans, methods ${JSON.stringify(sampled.methods)}`,
      );
      report(`(f) profile of a ${rows.toLocaleString('en')} × 20 table, full scan (no sampling)`, fullMs, 'ms', {
        baseline: summarize,
        baselineName: "DuckDB's SUMMARIZE",
        target: '<= 2x',
        pass: fullMs / summarize <= 2,
      });
      report(`(f) profile of a ${rows.toLocaleString('en')} × 20 table, default options (system sample of ~1M rows)`, sampledMs, 'ms', {
        baseline: summarize,
        baselineName: "DuckDB's SUMMARIZE",
        target: '<= 2x',
        pass: sampledMs / summarize <= 2,
      });
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
}

// `node bench/profile.mjs` runs this benchmark alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { printSummary } = await import('./lib.mjs');
  await benchProfile({ rows: Number(process.env.BENCH_PROFILE_ROWS ?? 10_000_000) });
  printSummary();
}
