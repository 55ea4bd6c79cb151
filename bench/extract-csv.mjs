// (b) Local-files extraction of a 5,000,000-row CSV against DuckDB's own
// COPY (FROM read_csv(...)) TO '...parquet' on the same file, in the same run.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ExtractWriter, sqlString } from '@aida/core';
import localFiles from '@aida/host/local-files';
import { pino } from 'pino';
import { medianOf, report, withTempDir } from './lib.mjs';

export async function benchExtractCsv({ rows = 5_000_000, runs = 3 } = {}) {
  await withTempDir('aida-bench-csv-', async (dir) => {
    const folder = join(dir, 'files');
    await mkdir(folder);
    const csv = join(folder, 'events.csv');
    {
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      await conn.run(`COPY (SELECT range AS id, range % 1000 AS customer_id, (range * 7919 % 100000) / 100.0 AS amount,
        DATE '2024-01-01' + INTERVAL (range % 700) DAY AS day, 'status_' || (range % 7) AS status FROM range(${rows}))
        TO ${sqlString(csv)} (FORMAT csv, HEADER true)`);
      conn.closeSync();
      db.closeSync();
    }
    const engine = await medianOf(runs, async (i) => {
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      await conn.run(`COPY (FROM read_csv(${sqlString(csv)})) TO ${sqlString(join(dir, `engine-${i}.parquet`))}`);
      conn.closeSync();
      db.closeSync();
    });
    // The connector as the host runs it: discover nothing extra, extract through ExtractWriter, commit.
    const { LocalFilesConnector } = await import('../packages/host/dist/local-files/connector.js');
    void localFiles;
    const logger = pino({ level: 'silent' });
    const ours = await medianOf(runs, async (i) => {
      const writer = await ExtractWriter.open(join(dir, 'extracts', `bench_${i}`));
      const report = await new LocalFilesConnector(`bench_${i}`, folder).extract({ writer, signal: new AbortController().signal, logger });
      if (report.tables[0]?.status !== 'ok') throw new Error(`extraction failed: ${report.tables[0]?.error}`);
      await writer.commit();
    });
    report(`(b) local-files extraction of a ${rows.toLocaleString('en')}-row CSV (hashes, fsync, extract.duckdb included)`, ours, 'ms', {
      baseline: engine,
      baselineName: "DuckDB's COPY (FROM read_csv) TO parquet",
      target: '<= 1.3x',
      pass: ours / engine <= 1.3,
    });
  });
}
