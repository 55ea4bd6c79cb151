import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../duckdb.js';
import { quoteColumnName, quoteIdent, sqlString } from '../identifiers.js';
import type { AuthenticatedFetch, ContractHost } from './contract-host.js';

/** A row of the suite's data; the fixture stores it at its source the way that source holds rows. */
export interface ContractRow {
  id: number;
  /** `YYYY-MM-DD`; partitioned tables are partitioned by it (day or month granularity). */
  day: string;
  note: string;
}

/** What the suite does to the source between syncs. */
export type SourceChange = { kind: 'upsert'; rows: ContractRow[] } | { kind: 'delete'; ids: number[] };

export interface WriteModesFixture {
  /** A started host running the connector's plugin (`startTestHost` of `@aida/host/testing`); stopped by the suite. */
  host: ContractHost;
  source: string;
  /** The table the connector writes the suite's rows into. */
  table: string;
  /** The write mode the connector uses for that table. */
  mode: 'replace' | 'append' | 'merge';
  /** Partitioned by `day` (by day or by month); false when the table is one file. */
  partitioned: boolean;
  /** Whether a sync notices rows deleted at the source (a whole export does; an export of changed rows may not). */
  seesDeletes: boolean;
  /** The table's names for `id` and `note`, when the connector names them otherwise. */
  columns?: { id?: string; note?: string };
  /** Applies a change to the source: new or changed rows, or rows gone. The suite syncs after it. */
  change(change: SourceChange): Promise<void>;
  /** Makes the next sync fail; `repairSource` undoes it. */
  breakSource(): Promise<void>;
  repairSource(): Promise<void>;
  cleanup?(): Promise<void>;
}

interface Part {
  part: string;
  hash: string;
  sha256: string;
  size_bytes: number;
  rows: number;
}

interface ManifestTable {
  hash: string;
  sha256: string;
  rows: number;
  size_bytes: number;
  parts?: Part[];
}

// Two rows in each of three months, on one day of each, so day and month partitions agree.
const SEED: ContractRow[] = [
  { id: 1, day: '2024-01-15', note: 'a' },
  { id: 2, day: '2024-01-15', note: 'b' },
  { id: 3, day: '2024-02-15', note: 'c' },
  { id: 4, day: '2024-02-15', note: 'd' },
  { id: 5, day: '2024-03-15', note: 'e' },
  { id: 6, day: '2024-03-15', note: 'f' },
];

const md5 = (b: ArrayBuffer) => createHash('md5').update(Buffer.from(b)).digest('hex');

/**
 * The write-mode cases a connector that writes a table with modes (see `ExtractWriter.write`)
 * runs in a real host: every row once, each part its own file listed in the manifest with the
 * hash its `?part=` download has; a re-sync of unchanged data keeps every hash; a new row,
 * a changed row and a row moving between parts rewrite only the parts they touch; a part whose
 * rows are all deleted disappears; a failing sync changes nothing readers see. Cases a mode
 * cannot meet are skipped (an append never changes or moves a row).
 */
export function describeWriteModesContract(name: string, makeFixture: () => Promise<WriteModesFixture>): void {
  describe(`write modes contract: ${name}`, () => {
    let fx: WriteModesFixture;
    let t: ContractHost;
    let admin: AuthenticatedFetch;
    let db: DuckDBInstance;
    let rowsAtSource = SEED.length;
    const changes = () => fx.mode !== 'append';

    const sync = async () => {
      const result = await t.host.syncSource(fx.source);
      expect(result.error).toBeUndefined();
      const outcome = result.report.tables.find((x) => x.name === fx.table);
      expect(outcome, `the sync reported nothing for table ${fx.table}`).toMatchObject({ status: 'ok' });
    };
    const entry = async (): Promise<ManifestTable> => {
      const res = await admin('/api/sync/manifest');
      expect(res.status).toBe(200);
      const table = ((await res.json()) as { tables: Record<string, ManifestTable> }).tables[fx.table.toLowerCase()];
      expect(table, `the manifest has no table ${fx.table}`).toBeDefined();
      return table;
    };
    /** Part → hash (one entry, '', for an unpartitioned table). */
    const hashes = async () => {
      const e = await entry();
      return new Map(e.parts ? e.parts.map((p) => [p.part, p.hash]) : [['', e.hash]]);
    };
    const changed = (a: Map<string, string>, b: Map<string, string>) => [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
    const download = (part?: string) =>
      admin(`/api/data/${encodeURIComponent(fx.table)}/download${part === undefined ? '' : `?part=${encodeURIComponent(part)}`}`);
    const served = async () => {
      const conn = await db.connect();
      try {
        await conn.run(`ATTACH ${sqlString(join(t.dataDir, 'analytics', 'server.duckdb'))} AS analytics (READ_ONLY)`);
        const id = quoteColumnName(fx.columns?.id ?? 'id');
        const note = quoteColumnName(fx.columns?.note ?? 'note');
        const rows = await queryRows<{ id: number; note: string }>(
          conn,
          `SELECT CAST(${id} AS BIGINT) AS id, CAST(${note} AS VARCHAR) AS note FROM analytics.${quoteIdent(fx.table)} ORDER BY 1`,
        );
        await conn.run('DETACH analytics');
        return rows;
      } finally {
        conn.closeSync();
      }
    };
    const changeAndSync = async (c: SourceChange) => {
      await fx.change(c);
      await sync();
    };

    beforeAll(async () => {
      fx = await makeFixture();
      t = fx.host;
      admin = await t.asAdmin();
      db = await DuckDBInstance.create(':memory:');
      await changeAndSync({ kind: 'upsert', rows: SEED });
    });
    afterAll(async () => {
      db?.closeSync();
      await t?.stop();
      await fx?.cleanup?.();
    });

    it('serves every row once, each part its own file, and each download hashes to what the manifest lists', async () => {
      expect((await served()).map((r) => r.id)).toEqual(SEED.map((r) => r.id));
      const e = await entry();
      expect(e.rows).toBe(SEED.length);
      if (!fx.partitioned) {
        expect(e.parts, 'an unpartitioned table lists no parts').toBeUndefined();
        expect(md5(await (await download()).arrayBuffer())).toBe(e.hash);
        return;
      }
      expect(e.parts!.length, 'three months of rows give three parts').toBe(3);
      expect(e.parts!.reduce((n, p) => n + p.rows, 0)).toBe(e.rows);
      for (const p of e.parts!) {
        const res = await download(p.part);
        expect(res.status, `?part=${p.part}`).toBe(200);
        const bytes = await res.arrayBuffer();
        expect({ md5: md5(bytes), size: bytes.byteLength }).toEqual({ md5: p.hash, size: p.size_bytes });
      }
    });

    it('a sync with nothing changed keeps every file and hash', async () => {
      const before = await hashes();
      await sync();
      expect(changed(before, await hashes())).toEqual([]);
    });

    it('a new row rewrites only the part it falls in', async () => {
      const before = await hashes();
      await changeAndSync({ kind: 'upsert', rows: [{ id: 7, day: '2024-02-15', note: 'g' }] });
      rowsAtSource += 1;
      expect(changed(before, await hashes())).toHaveLength(1);
      expect((await served()).map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it('a changed row rewrites only its part and stays one row', async (ctx) => {
      if (!changes()) return ctx.skip();
      const before = await hashes();
      await changeAndSync({ kind: 'upsert', rows: [{ id: 3, day: '2024-02-15', note: 'c changed' }] });
      expect(changed(before, await hashes())).toHaveLength(1);
      const rows = await served();
      expect(rows.filter((r) => r.id === 3)).toEqual([{ id: 3, note: 'c changed' }]);
      expect(rows).toHaveLength(rowsAtSource);
    });

    it('a row that moves to another part leaves the part it was in', async (ctx) => {
      if (!changes()) return ctx.skip();
      const before = await hashes();
      await changeAndSync({ kind: 'upsert', rows: [{ id: 1, day: '2024-03-15', note: 'a moved' }] });
      // Its old part and its new one; an unpartitioned table has the one file.
      expect(changed(before, await hashes())).toHaveLength(fx.partitioned ? 2 : 1);
      const rows = await served();
      expect(rows.filter((r) => r.id === 1)).toEqual([{ id: 1, note: 'a moved' }]);
      expect(rows).toHaveLength(rowsAtSource);
    });

    it('a part whose rows are all deleted disappears', async (ctx) => {
      if (!changes() || !fx.seesDeletes) return ctx.skip();
      const before = await entry();
      await changeAndSync({ kind: 'delete', ids: [3, 4, 7] });
      rowsAtSource -= 3;
      const after = await entry();
      expect(after.rows).toBe(rowsAtSource);
      expect((await served()).map((r) => r.id)).toEqual([1, 2, 5, 6]);
      if (!fx.partitioned) return;
      const gone = before.parts!.filter((p) => !after.parts!.some((q) => q.part === p.part)).map((p) => p.part);
      expect(gone, 'February held only deleted rows').toHaveLength(1);
      expect((await download(gone[0])).status).toBe(404);
      expect(after.parts!.length).toBe(before.parts!.length - 1);
    });

    it('a failing sync changes nothing readers see: manifest, parts and downloads', async () => {
      const before = await entry();
      await fx.breakSource();
      try {
        const result = await t.host.syncSource(fx.source);
        const failed = result.error !== undefined || result.report.tables.some((x) => x.name === fx.table && x.status === 'error');
        expect(failed, 'breakSource() did not make the sync fail').toBe(true);
      } finally {
        await fx.repairSource();
      }
      expect(await entry()).toEqual(before);
      for (const p of before.parts ?? [{ part: undefined, hash: before.hash }]) {
        expect(md5(await (await download(p.part)).arrayBuffer())).toBe(p.hash);
      }
    });
  });
}
