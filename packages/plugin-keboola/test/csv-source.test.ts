import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '@aida/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KeboolaTable } from '../src/client.js';
import { csvSource, typedSelect } from '../src/csv-source.js';
import type { TablePlan } from '../src/select.js';
import { planColumns } from '../src/types.js';

/** A full-refresh plan of `table` with every column, as select.ts builds it. */
function planOf(table: KeboolaTable): TablePlan {
  return { name: table.name, table, strategy: 'full_refresh', primaryKey: [], keyIsKeboolas: true, overlapMs: 0, description: null };
}

describe("the plugin's read_csv of downloaded Keboola files", () => {
  let dir: string;
  let db: DuckDBInstance;
  let conn: DuckDBConnection;

  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
  });
  afterAll(() => {
    conn?.closeSync();
    db?.closeSync();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbc-csv-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes `files` (raw CSV text) and reads them with the plugin's typed read_csv; rows as [id, value, value IS NULL]. */
  async function read(table: KeboolaTable, files: string[], sliced = true) {
    const paths: string[] = [];
    for (const [i, text] of files.entries()) {
      const path = join(dir, `slice-${i}.csv`);
      await writeFile(path, text);
      paths.push(path);
    }
    const plan = planOf(table);
    const { columns } = planColumns(table, {});
    const source = await csvSource({ fileId: 1, sliced, paths, bytes: 0 }, plan, columns);
    return queryRows<{ id: string; v: string | null; isnull: boolean }>(
      conn,
      `SELECT CAST(id AS VARCHAR) AS id, v, v IS NULL AS isnull FROM (${typedSelect(columns, source)}) ORDER BY id`,
    );
  }

  const text: KeboolaTable = { id: 'in.c-a.t', name: 't', columns: ['id', 'v'] };

  it('reads a slice whose first row holds a CRLF inside a quoted value (the repro: unquoted first field)', async () => {
    expect(await read(text, ['1,"a\r\nb"\n2,"c"\n'])).toEqual([
      { id: '1', v: 'a\r\nb', isnull: false },
      { id: '2', v: 'c', isnull: false },
    ]);
  });

  it('keeps CR, LF and CRLF inside quoted values at the start of every slice and in the middle (rows end in LF)', async () => {
    const slices = ['"1","a\r\nb"\n"2","mid\rdle"\n"3","x\ny"\n', '"4","c\rd"\n"5","\r\n"\n"6","end\r"\n', '"7","e\nf"\n"8","g\r\nh\ri\nj"\n', '"9","\r"\n'];
    expect((await read(text, slices)).map((r) => [r.id, r.v])).toEqual([
      ['1', 'a\r\nb'],
      ['2', 'mid\rdle'],
      ['3', 'x\ny'],
      ['4', 'c\rd'],
      ['5', '\r\n'],
      ['6', 'end\r'],
      ['7', 'e\nf'],
      ['8', 'g\r\nh\ri\nj'],
      ['9', '\r'],
    ]);
  });

  it('reads a non-sliced file whose first row after the header holds a CRLF inside a quoted value', async () => {
    expect((await read(text, ['"id","v"\n"1","a\r\nb"\n"2","c\rd"\n'], false)).map((r) => [r.id, r.v])).toEqual([
      ['1', 'a\r\nb'],
      ['2', 'c\rd'],
    ]);
  });

  it('non-typed table: an empty value of a string column stays an empty string', async () => {
    expect(await read(text, ['"1",""\n"2","x"\n'])).toEqual([
      { id: '1', v: '', isnull: false },
      { id: '2', v: 'x', isnull: false },
    ]);
  });

  it('typed table: a bare empty field is NULL and a quoted "" is the empty string, in string and typed columns', async () => {
    const typed: KeboolaTable = {
      id: 'in.c-a.t',
      name: 't',
      columns: ['id', 'v', 'n'],
      isTyped: true,
      definition: {
        columns: [
          { name: 'id', basetype: 'INTEGER' },
          { name: 'v', basetype: 'STRING' },
          { name: 'n', basetype: 'INTEGER' },
        ],
      },
    };
    const got = await read(typed, ['"1",,\n"2","",\n', '"3",,"7"\n"4","a",\n']);
    expect(got).toEqual([
      { id: '1', v: null, isnull: true },
      { id: '2', v: '', isnull: false },
      { id: '3', v: null, isnull: true },
      { id: '4', v: 'a', isnull: false },
    ]);
  });
});
