import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExtractWriter } from '@aida/core';
import { LocalFilesConnector } from '../../src/local-files/connector.js';
import { tableNameFor } from '../../src/local-files/files.js';
import { silentLogger, tempDir } from '../helpers.js';

let t: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => (t = await tempDir()));
afterEach(() => t.cleanup());

async function run(connector: LocalFilesConnector) {
  const writer = await ExtractWriter.open(join(t.dir, 'extracts', connector.source));
  const report = await connector.extract({ writer, signal: new AbortController().signal, logger: silentLogger() });
  const summary = await writer.commit();
  return { report, summary };
}

describe('the local-files connector', () => {
  it('turns CSV, TSV, Parquet, JSON and NDJSON files into tables', async () => {
    const files = join(t.dir, 'files');
    await (await import('node:fs/promises')).mkdir(files);
    await writeFile(join(files, 'customers.csv'), 'id,name\n1,Ada\n2,"Novak, Jan"\n');
    await writeFile(join(files, 'tabbed.tsv'), 'id\tname\n1\tx\n');
    await writeFile(
      join(files, 'events.json'),
      JSON.stringify([
        { id: 1, tags: ['a'] },
        { id: 2, tags: [] },
        { id: 3, tags: ['b', 'c'] },
      ]),
    );
    await writeFile(join(files, 'log.ndjson'), '{"level":"info"}\n{"level":"warn"}\n');
    await writeFile(join(files, 'README.txt'), 'not data');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`COPY (SELECT range AS n FROM range(42)) TO '${join(files, 'numbers.parquet')}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    const { report, summary } = await run(new LocalFilesConnector('files', files));
    expect(report.tables.map((x) => [x.name, x.status, x.rows])).toEqual([
      ['customers', 'ok', 2],
      ['events', 'ok', 3],
      ['log', 'ok', 2],
      ['numbers', 'ok', 42],
      ['tabbed', 'ok', 1],
    ]);
    expect(summary.tables.map((m) => m.table_name).sort()).toEqual(['customers', 'events', 'log', 'numbers', 'tabbed']);
  });

  it('a malformed file yields an error naming the file and line, and the other tables still extract', async () => {
    const files = join(t.dir, 'files');
    await (await import('node:fs/promises')).mkdir(files);
    await writeFile(join(files, 'good.csv'), 'id\n1\n2\n');
    // Enough well-formed rows for the sniffer to settle on 3 columns, then a broken row.
    const rows = Array.from({ length: 50 }, (_, i) => `${i},x,${i}`).join('\n');
    await writeFile(join(files, 'broken.csv'), `a,b,c\n${rows}\n51,x,1,extra\n52,y,2\n`);
    await writeFile(join(files, 'bad.jsonl'), '{"a":1}\n{"a": oops}\n{"a":3}\n');
    const { report } = await run(new LocalFilesConnector('files', files));
    const byName = Object.fromEntries(report.tables.map((x) => [x.name, x]));
    expect(byName.good).toMatchObject({ status: 'ok', rows: 2 });
    expect(byName.broken.status).toBe('error');
    expect(byName.broken.error).toMatch(/^broken\.csv, line 52: Expected Number of Columns: 3 Found: 4/);
    expect(byName.bad.status).toBe('error');
    expect(byName.bad.error).toMatch(/^bad\.jsonl, line 2: .*Malformed JSON/);
  });

  it('keeps the previous version of a table whose file turned malformed, and drops tables whose file is gone', async () => {
    const files = join(t.dir, 'files');
    await (await import('node:fs/promises')).mkdir(files);
    await writeFile(join(files, 'a.jsonl'), '{"x":1}\n');
    await writeFile(join(files, 'b.csv'), 'x\n1\n');
    await run(new LocalFilesConnector('files', files));
    await writeFile(join(files, 'a.jsonl'), '{"x":\n');
    await (await import('node:fs/promises')).rm(join(files, 'b.csv'));
    const { summary } = await run(new LocalFilesConnector('files', files));
    expect(summary.tables.map((m) => [m.table_name, m.rows])).toEqual([['a', 1]]);
  });

  it('derives table names from file names', () => {
    expect(tableNameFor('Order Items.csv')).toBe('Order_Items');
    expect(tableNameFor('2024-sales.parquet')).toBe('_2024_sales');
  });

  it('a missing folder fails the extraction instead of emptying the source', async () => {
    const writer = await ExtractWriter.open(join(t.dir, 'extracts', 'gone'));
    await expect(
      new LocalFilesConnector('gone', join(t.dir, 'nope')).extract({ writer, signal: new AbortController().signal, logger: silentLogger() }),
    ).rejects.toThrow(/does not exist/);
    await writer.abort();
  });
});
