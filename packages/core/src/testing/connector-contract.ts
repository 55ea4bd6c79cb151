import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../duckdb.js';
import { ExtractWriter } from '../extract/writer.js';
import { readExtract } from '../extract/read.js';
import { digestFile } from '../extract/hash.js';
import { isValidIdentifier } from '../identifiers.js';
import type { ContractHost } from './contract-host.js';

export interface ConnectorFixture {
  /**
   * A started host running the connector's plugin, e.g.
   * `await startTestHost({ plugins: [{ plugin, config }] })` from `@aida/host/testing`.
   * The suite stops it after its tests, before `cleanup`.
   */
  host: ContractHost;
  /** The source the plugin registers (the folder under extracts/). */
  source: string;
  /** Makes the next extraction of the source fail (unreachable API, unreadable folder…). */
  breakSource(): Promise<void>;
  /** Undoes `breakSource`. */
  repairSource(): Promise<void>;
  cleanup?(): Promise<void>;
}

async function snapshot(dir: string): Promise<string> {
  return createHash('sha256')
    .update(readFileSync(join(dir, 'extract.duckdb')))
    .digest('hex');
}

/**
 * The conformance suite every connector must pass, run in a real host: discover → extract →
 * files exist, `_meta` right, hashes match the bytes, re-extract idempotent, bad identifiers
 * rejected, a failing extract leaves the previous one intact.
 */
export function describeConnectorContract(name: string, makeFixture: () => Promise<ConnectorFixture>): void {
  describe(`connector contract: ${name}`, () => {
    let fixture: ConnectorFixture;
    let t: ContractHost;
    let sourceDir: string;
    let db: DuckDBInstance;

    const readMeta = async () => {
      const conn = await db.connect();
      try {
        return await readExtract(conn, join(sourceDir, 'extract.duckdb'));
      } finally {
        conn.closeSync();
      }
    };

    beforeAll(async () => {
      fixture = await makeFixture();
      t = fixture.host;
      sourceDir = join(t.dataDir, 'extracts', fixture.source);
      db = await DuckDBInstance.create(':memory:');
    });
    afterAll(async () => {
      db?.closeSync();
      await t?.stop();
      await fixture?.cleanup?.();
    });

    it('registers its source and discovers at least one table', async () => {
      const connector = t.host.connector(fixture.source);
      expect(connector, `no connector registered source '${fixture.source}'`).toBeDefined();
      const tables = await connector!.discover();
      expect(tables.length).toBeGreaterThan(0);
      for (const table of tables) expect(typeof table.name).toBe('string');
    });

    it('extracts every discovered table into extract.duckdb and Parquet with hashes matching the bytes', async () => {
      const result = await t.host.syncSource(fixture.source);
      expect(result.error).toBeUndefined();
      const discovered = (await t.host.connector(fixture.source)!.discover()).map((d) => d.name).filter(isValidIdentifier);
      const { meta, files } = await readMeta();
      expect(meta.map((m) => m.table_name).sort()).toEqual([...new Set(discovered)].sort());
      const conn = await db.connect();
      try {
        for (const m of meta) {
          expect(['local', 'remote']).toContain(m.query_mode);
          const own = files.filter((f) => f.table_name === m.table_name);
          expect(own.length, `table ${m.table_name} has no files`).toBeGreaterThan(0);
          for (const f of own) {
            const path = join(sourceDir, f.path);
            expect(existsSync(path), `${f.path} missing`).toBe(true);
            const digest = await digestFile(path);
            expect({ md5: f.md5, sha256: f.sha256, size: f.size_bytes }).toEqual(digest);
            const [{ n }] = await queryRows<{ n: number }>(conn, `SELECT count(*)::BIGINT AS n FROM read_parquet(?)`, [path]);
            expect(f.rows).toBe(n);
          }
          expect(m.rows).toBe(own.reduce((s, f) => s + f.rows, 0));
        }
      } finally {
        conn.closeSync();
      }
    });

    it('serves every extracted table from the analytics database', async () => {
      const { meta } = await readMeta();
      const conn = await db.connect();
      try {
        await conn.run(`ATTACH '${join(t.dataDir, 'analytics', 'server.duckdb').replace(/'/g, "''")}' AS analytics (READ_ONLY)`);
        for (const m of meta) {
          const [{ n }] = await queryRows<{ n: number }>(conn, `SELECT count(*)::BIGINT AS n FROM analytics."${m.table_name}"`);
          expect(n).toBe(m.rows);
        }
        await conn.run('DETACH analytics');
      } finally {
        conn.closeSync();
      }
    });

    it('re-extracting unchanged data is idempotent', async () => {
      const before = await readMeta();
      const result = await t.host.syncSource(fixture.source);
      expect(result.error).toBeUndefined();
      const after = await readMeta();
      const key = (fs: typeof before.files) => fs.map((f) => `${f.table_name}/${f.part}/${f.path}/${f.md5}/${f.rows}`).sort();
      expect(key(after.files)).toEqual(key(before.files));
    });

    it('rejects bad identifiers: only valid table names reach the extract, and the writer refuses others', async () => {
      const { meta } = await readMeta();
      for (const m of meta) expect(isValidIdentifier(m.table_name)).toBe(true);
      const writer = await ExtractWriter.open(join(t.dataDir, 'extracts', `${fixture.source}_contract_probe`));
      try {
        for (const bad of ['bad-name', 'x; DROP TABLE _meta', '1starts_with_digit', 'a'.repeat(65), '"quoted"']) {
          await expect(writer.writeTable(bad, 'SELECT 1 AS x')).rejects.toThrow(/Invalid table name/);
        }
      } finally {
        await writer.abort();
      }
    });

    it('a failing extraction leaves the previous extract intact and served', async () => {
      const before = await readMeta();
      const bytes = await snapshot(sourceDir);
      await fixture.breakSource();
      try {
        const result = await t.host.syncSource(fixture.source);
        const failed = result.error !== undefined || result.report.tables.some((x) => x.status === 'error');
        expect(failed, 'breakSource() did not make the extraction fail').toBe(true);
        expect(await snapshot(sourceDir)).toBe(bytes);
        const after = await readMeta();
        expect(after.files.map((f) => f.md5).sort()).toEqual(before.files.map((f) => f.md5).sort());
        for (const f of after.files) expect(existsSync(join(sourceDir, f.path))).toBe(true);
      } finally {
        await fixture.repairSource();
      }
    });
  });
}
