import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtractWriter, queryRows } from '@aida/core';
import { createHost } from '@aida/host';
import { pino } from 'pino';
import { repoRoot, spawnNode, waitFor } from './helpers.js';

const SOURCES = 4;
const TABLES = 50;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'aida-crash-'));
  for (let s = 0; s < SOURCES; s++) {
    const w = await ExtractWriter.open(join(dataDir, 'extracts', `src${s}`));
    for (let t = 0; t < TABLES; t++) await w.writeTable(`t${s}_${t}`, `SELECT range AS id FROM range(${t + 1})`);
    await w.commit();
  }
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

async function analyticsTables(): Promise<number> {
  const db = await DuckDBInstance.create(join(dataDir, 'analytics', 'server.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  try {
    const [{ n }] = await queryRows<{ n: number }>(conn, 'SELECT count(*) AS n FROM duckdb_views() WHERE NOT internal');
    // Every view must resolve, not just exist.
    const [{ rows }] = await queryRows<{ rows: number }>(conn, `SELECT count(*) AS rows FROM t${SOURCES - 1}_${TABLES - 1}`);
    expect(rows).toBe(TABLES);
    return n;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('kill -9 during a rebuild', () => {
  for (const delayMs of [5, 60, 200]) {
    it(`leaves a readable server.duckdb and the next start recovers (kill ${delayMs} ms into a rebuild)`, async () => {
      const run = spawnNode([join(repoRoot, 'tests', 'fixtures', 'rebuild-loop.mjs')], { cwd: repoRoot, env: { AIDA_DATA_DIR: dataDir } });
      // Wait until a few rebuilds completed, then kill in the middle of the next one.
      await waitFor(() => (run.output().match(/rebuilt/g) ?? []).length >= 2, 30_000, `two rebuilds (output: ${run.output().slice(-300)})`);
      const seen = (run.output().match(/rebuild-start/g) ?? []).length;
      await waitFor(() => (run.output().match(/rebuild-start/g) ?? []).length > seen, 10_000, 'the next rebuild to start');
      await new Promise((r) => setTimeout(r, delayMs));
      run.child.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');

      expect(existsSync(join(dataDir, 'analytics', 'server.duckdb'))).toBe(true);
      expect(await analyticsTables()).toBe(SOURCES * TABLES);

      const host = await createHost({ dataDir, logger: pino({ level: 'silent' }) });
      await host.start();
      expect(host.analytics.tables()).toHaveLength(SOURCES * TABLES);
      await host.stop();
      expect((await readdir(join(dataDir, 'analytics'))).filter((f) => f.includes('.tmp-'))).toEqual([]);
    });
  }
});
