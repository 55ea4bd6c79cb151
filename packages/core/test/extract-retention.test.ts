import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { betweenCommits, collectExtractGarbage, ExtractWriter, type FileRetention } from '@aida/core';

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aida-retention-'));
  dir = join(root, 'shop');
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** A retention as a host keeps one: a set of absolute paths readers hold. */
function retention(): FileRetention & { held: Set<string> } {
  const held = new Set<string>();
  return { held, isRetained: (p) => held.has(p) };
}

async function commitTable(sql: string, r?: FileRetention) {
  const w = await ExtractWriter.open(dir, { retention: r });
  const f = await w.writeTable('orders', sql);
  await w.commit();
  return join(dir, f.path);
}

describe('garbage collection with a file retention', () => {
  it('a commit deletes what the extract no longer lists unless the retention retains it; a later collection takes it', async () => {
    const r = retention();
    const first = await commitTable('SELECT 1 AS id', r);
    r.held.add(first); // an analytics database built over the first extract reads it
    const second = await commitTable('SELECT 2 AS id', r);
    const third = await commitTable('SELECT 3 AS id', r);
    // The retained file outlives two commits; the unretained middle one goes at once.
    expect([existsSync(first), existsSync(second), existsSync(third)]).toEqual([true, false, true]);
    expect(await collectExtractGarbage(dir, { retention: r })).toEqual([]);
    r.held.delete(first);
    expect(await collectExtractGarbage(dir, { retention: r })).toEqual([first]);
    expect(existsSync(first)).toBe(false);
    expect(existsSync(third)).toBe(true);
  });

  it('a collection keeps the files an open writer has put in place and leaves a folder without an extract alone', async () => {
    const r = retention();
    await commitTable('SELECT 1 AS id', r);
    const open = await ExtractWriter.open(dir, { retention: r });
    const pending = join(dir, (await open.writeTable('fresh', 'SELECT 7 AS id')).path);
    expect(await collectExtractGarbage(dir, { retention: r })).toEqual([]);
    expect(existsSync(pending)).toBe(true);
    await open.abort();
    expect(await collectExtractGarbage(dir, { retention: r })).toEqual([pending]);

    const bare = join(root, 'bare');
    await mkdir(join(bare, 'data'), { recursive: true });
    await writeFile(join(bare, 'data', 'x.0000000000000000.parquet'), 'not listed anywhere');
    expect(await collectExtractGarbage(bare)).toEqual([]);
    expect(existsSync(join(bare, 'data', 'x.0000000000000000.parquet'))).toBe(true);
  });

  it('betweenCommits runs between commits: a reader that takes hold there never loses the files it read', async () => {
    const r = retention();
    const first = await commitTable('SELECT 1 AS id', r);
    const w = await ExtractWriter.open(dir, { retention: r });
    await w.writeTable('orders', 'SELECT 2 AS id');
    let release!: () => void;
    const reading = betweenCommits(dir, () => new Promise<void>((res) => (release = res)));
    const committing = w.commit();
    await new Promise((res) => setTimeout(res, 50));
    // The commit waits for the reader, so the file the reader is about to hold is still there.
    expect(existsSync(first)).toBe(true);
    r.held.add(first);
    release();
    await reading;
    await committing;
    expect(existsSync(first)).toBe(true);
  });

  it('without a retention the replaced extract’s files are kept until the next commit', async () => {
    const first = await commitTable('SELECT 1 AS id');
    const second = await commitTable('SELECT 2 AS id');
    expect(existsSync(first)).toBe(true);
    await commitTable('SELECT 3 AS id');
    expect([existsSync(first), existsSync(second)]).toEqual([false, true]);
  });
});
