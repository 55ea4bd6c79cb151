import { join } from 'node:path';
import { blobValue } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ddlFor } from '../../src/state/migrations/runner.js';
import { PostgresSystemDb } from '../../src/state/postgres-db.js';
import { toPostgresDdl, toPostgresSql } from '../../src/state/postgres-sql.js';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { dropTestSchema, TEST_POSTGRES_URL, testSchemaFor } from '../../src/testing/test-state.js';
import { tempDir } from '../helpers.js';

describe('the PostgreSQL translation of the shared SQL', () => {
  it('numbers ? parameters, leaving those in literals, quoted names and comments alone', () => {
    expect(toPostgresSql(`SELECT ?, '?', "a?b", 'it''s ?' -- why?\n, ?::TIMESTAMP`)).toBe(`SELECT $1, '?', "a?b", 'it''s ?' -- why?\n, $2::TIMESTAMP`);
  });

  it("renames DuckDB's type names in DDL only where PostgreSQL has others", () => {
    expect(toPostgresDdl('CREATE TABLE t (a DOUBLE, b DOUBLE PRECISION, c BLOB, d VARCHAR[])')).toBe(
      'CREATE TABLE t (a DOUBLE PRECISION, b DOUBLE PRECISION, c BYTEA, d VARCHAR[])',
    );
  });
});

/** Every column type the migrations use, in DuckDB's names (ddlFor renames them for PostgreSQL). */
const TABLE = `CREATE TABLE round_trip (
  id VARCHAR PRIMARY KEY,
  n INTEGER,
  big BIGINT,
  x DOUBLE,
  flag BOOLEAN,
  ts TIMESTAMP,
  ts_tz TIMESTAMPTZ,
  day DATE,
  doc JSON,
  bytes BLOB,
  tags VARCHAR[] NOT NULL DEFAULT ARRAY[]::VARCHAR[]
)`;

const backends: [string, (dir: string) => Promise<{ db: SystemDb; close(): Promise<void> }>][] = [
  [
    'duckdb',
    async (dir) => {
      const db = await DuckDbSystemDb.open(join(dir, 'system.duckdb'));
      return { db, close: () => db.close() };
    },
  ],
  [
    'postgres',
    async (dir) => {
      const schema = testSchemaFor(dir);
      const db = await PostgresSystemDb.open({ url: TEST_POSTGRES_URL, schema });
      return { db, close: async () => (await db.close(), await dropTestSchema(schema)) };
    },
  ],
];

describe.each(backends)('values written and read back on %s', (_name, open) => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let backend: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    dir = await tempDir();
    backend = await open(dir.dir);
    await backend.db.run(ddlFor(backend.db, TABLE));
  });
  afterAll(async () => {
    await backend?.close();
    await dir?.cleanup();
  });

  it('reads every column type back as the other backend does', async () => {
    const { db } = backend;
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    await db.run('INSERT INTO round_trip VALUES (?, ?, ?, ?, ?, ?::TIMESTAMP, ?::TIMESTAMPTZ, ?::DATE, ?::JSON, ?, ?::VARCHAR[])', [
      'a',
      42,
      9_007_199_254_740_993n,
      1.5,
      true,
      '2025-03-04T05:06:07.089Z',
      '2025-03-04T05:06:07.089Z',
      '2025-03-04',
      '{"k":[1,2]}',
      blobValue(png),
      ['x', 'y z', 'w,"q"'],
    ]);
    await db.run('INSERT INTO round_trip (id, big) VALUES (?, ?)', ['b', 7]);
    const [a, b] = await db.all<Record<string, unknown>>('SELECT * FROM round_trip ORDER BY id');
    expect(a).toEqual({
      id: 'a',
      n: 42,
      big: '9007199254740993', // past 2^53: text, as plainValue gives it
      x: 1.5,
      flag: true,
      ts: new Date('2025-03-04T05:06:07.089Z'),
      ts_tz: new Date('2025-03-04T05:06:07.089Z'),
      day: new Date('2025-03-04T00:00:00Z'),
      doc: '{"k":[1,2]}',
      bytes: expect.any(Uint8Array),
      tags: ['x', 'y z', 'w,"q"'],
    });
    expect([...(a!.bytes as Uint8Array)]).toEqual([...png]);
    expect(b).toMatchObject({ big: 7, n: null, bytes: null, tags: [] });
  });

  it('binds an empty list, and aggregates come back as numbers', async () => {
    const { db } = backend;
    await db.run('INSERT INTO round_trip (id, tags) VALUES (?, ?::VARCHAR[])', ['c', []]);
    const [row] = await db.all<{ n: unknown; s: unknown; m: unknown; tags: unknown }>(
      "SELECT count(*) AS n, sum(big) AS s, avg(x) AS m, (SELECT tags FROM round_trip WHERE id = 'c') AS tags FROM round_trip WHERE id <> 'a'",
    );
    expect(row).toEqual({ n: 2, s: 7, m: null, tags: [] });
    const ids = await db.all<{ id: string }>('SELECT id FROM round_trip WHERE id IN (SELECT unnest(?::VARCHAR[])) ORDER BY id', [['a', 'c']]);
    expect(ids.map((r) => r.id)).toEqual(['a', 'c']);
  });

  it('upserts with ON CONFLICT and picks each group’s newest row with DISTINCT ON', async () => {
    const { db } = backend;
    const upsert = 'INSERT INTO round_trip (id, n) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET n = excluded.n';
    await db.run(upsert, ['d', 1]);
    await db.run(upsert, ['d', 2]);
    const rows = await db.all<{ flag: boolean | null; id: string }>(
      "SELECT DISTINCT ON (flag) flag, id FROM round_trip WHERE id IN ('a', 'd') ORDER BY flag, id DESC",
    );
    expect(rows).toEqual([
      { flag: true, id: 'a' },
      { flag: null, id: 'd' },
    ]);
    expect(await db.all('SELECT n FROM round_trip WHERE id = ?', ['d'])).toEqual([{ n: 2 }]);
  });
});
