import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtractWriter, queryRows } from '@aida/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeboolaTable } from '../src/client.js';
import { csvSource } from '../src/csv-source.js';
import type { TablePlan } from '../src/select.js';
import { planColumns } from '../src/types.js';
import { writeStrategy } from '../src/write-strategy.js';

const table: KeboolaTable = {
  id: 'in.c-a.orders',
  name: 'orders',
  columns: ['id', 'day', 'amount'],
  primaryKey: ['id'],
  definition: {
    primaryKeysNames: ['id'],
    columns: [
      { name: 'id', definition: { type: 'INTEGER' }, basetype: 'INTEGER' },
      { name: 'day', definition: { type: 'DATE' }, basetype: 'DATE' },
      { name: 'amount', definition: { type: 'INTEGER' }, basetype: 'INTEGER' },
    ],
  },
};

function planOf(strategy: TablePlan['strategy'], partition?: TablePlan['partition']): TablePlan {
  return { name: 'orders', table, strategy, primaryKey: ['id'], keyIsKeboolas: true, overlapMs: 0, description: null, partition };
}

// The `copied` hook lets extractTable delete the downloaded CSV while the writer hashes its
// file: it must run only once the writer has read every row of the source, in every mode.
describe('writeStrategy: the copied hook', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kbc-ws-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(writer: ExtractWriter, plan: TablePlan, merging: boolean, rows: string[], tag: string) {
    const path = join(dir, `slice-${tag}.csv`);
    await writeFile(path, rows.map((r) => `${r}\n`).join(''));
    const { columns } = planColumns(plan.table, {});
    const source = await csvSource({ fileId: 1, sliced: true, paths: [path], bytes: 0 }, plan, columns);
    let calls = 0;
    const written = await writeStrategy(plan, columns, source, merging, writer, () => {
      calls++;
      // What extractTable does: the source is gone before the writer hashes and places the file.
      rmSync(path);
    });
    expect(calls).toBe(1);
    return written;
  }

  async function stored(sourceDir: string): Promise<string[]> {
    const writer = await ExtractWriter.open(sourceDir);
    try {
      const files = writer.previousFiles.filter((f) => f.table_name === 'orders').map((f) => `'${join(sourceDir, f.path)}'`);
      const rows = await queryRows<{ r: string }>(
        writer.connection,
        `SELECT concat_ws('|', id, day, amount) AS r FROM read_parquet([${files.join(', ')}]) ORDER BY id`,
      );
      return rows.map((r) => r.r);
    } finally {
      await writer.abort();
    }
  }

  it('full refresh: the file holds every row though the CSV was deleted in the hook', async () => {
    const sourceDir = join(dir, 'kbc');
    const writer = await ExtractWriter.open(sourceDir);
    const w = await write(writer, planOf('full_refresh'), false, ['1,2024-01-01,10', '2,2024-02-01,20'], 'a');
    await writer.commit();
    expect(w.rows).toBe(2);
    expect(await stored(sourceDir)).toEqual(['1|2024-01-01|10', '2|2024-02-01|20']);
  });

  it('incremental: a merge into the previous version reads the batch before the hook', async () => {
    const sourceDir = join(dir, 'kbc');
    let writer = await ExtractWriter.open(sourceDir);
    await write(writer, planOf('incremental'), false, ['1,2024-01-01,10', '2,2024-02-01,20'], 'a');
    await writer.commit();
    writer = await ExtractWriter.open(sourceDir);
    const w = await write(writer, planOf('incremental'), true, ['2,2024-02-01,21', '3,2024-03-01,30'], 'b');
    await writer.commit();
    expect(w.rows).toBe(3);
    expect(await stored(sourceDir)).toEqual(['1|2024-01-01|10', '2|2024-02-01|21', '3|2024-03-01|30']);
  });

  it('partitioned: every part is written from the staged batch after the hook', async () => {
    const sourceDir = join(dir, 'kbc');
    const writer = await ExtractWriter.open(sourceDir);
    const w = await write(writer, planOf('partitioned', { column: 'day', granularity: 'month' }), false, ['1,2024-01-01,10', '2,2024-02-01,20'], 'a');
    await writer.commit();
    expect(w.parts).toBe(2);
    expect(await stored(sourceDir)).toEqual(['1|2024-01-01|10', '2|2024-02-01|20']);
  });
});
