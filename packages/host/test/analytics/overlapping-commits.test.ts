/**
 * Commits of one source overlapping while clients query and download: no file a published
 * analytics database or a download still reads may be deleted, and obsolete files must still
 * go once nothing reads them. A real host, real HTTP, real DuckDB files.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { localFilesPlugin } from '../../src/local-files/plugin.js';
import { bootstrap } from '../identity/helpers.js';
import { listedFiles, parquetFiles } from './extract-files.js';

const TABLES = ['t0', 't1', 't2', 't3'];
const ROUNDS = 5;
const CLIENTS = 4;

let t: TestHost;
let admin: string;
let folder: string;
const sourceDir = () => join(t.dataDir, 'extracts', 'src0');

/** Every round gives every table new bytes, so every commit makes the previous file obsolete. */
function csv(table: string, round: number): string {
  const rows = Array.from({ length: 3000 }, (_, i) => `${i},${(i * 31 + round) % 997},${table}-${round}-${i}`);
  return `id,v,label\n${rows.join('\n')}\n`;
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'aida-overlap-src-'));
  for (const table of TABLES) await writeFile(join(folder, `${table}.csv`), csv(table, 0));
  t = await startTestHost({
    plugins: [{ plugin: localFilesPlugin, config: { sources: [{ name: 'src0', path: folder }] } }],
    // Room for every client in the query queue: a 429 would be a different failure than the one looked for.
    config: { analytics: { profile_after_rebuild: false }, query: { max_queued: 64, queue_wait: '30s' } },
  });
  const first = await t.host.syncSource('src0');
  if (first.error) throw new Error(first.error);
  admin = await bootstrap(t);
});
afterAll(async () => {
  await t?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** Replaced by rename, as an upload does: a sync queued by an earlier round never reads half a file. */
async function replaceFile(path: string, content: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  await writeFile(tmp, content);
  await rename(tmp, path);
}

function upload(table: string, content: string): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'text/csv' }), `${table}.csv`);
  return t.request(`/api/local-files/sources/src0/tables/${table}`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
}

describe('overlapping commits of one source under query and download load', () => {
  it('answers every query and download, and collects the obsolete files once nothing reads them', async () => {
    const initial = await listedFiles(sourceDir());
    const failures: string[] = [];
    const done = { value: false };
    let queries = 0;
    let downloads = 0;

    const query = async (table: string) => {
      const res = await t.request('/api/query', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sql: `SELECT count(*) AS n, sum(v) AS s FROM ${table}` }),
      });
      const text = await res.text();
      if (res.status !== 200) failures.push(`query ${table}: ${res.status} ${text.slice(0, 300)}`);
      queries++;
    };
    const download = async (table: string) => {
      const res = await t.request(`/api/data/${table}/download`, { headers: { authorization: `Bearer ${admin}` } });
      const body = Buffer.from(await res.arrayBuffer());
      const md5 = createHash('md5').update(body).digest('hex');
      // The strong ETag is the file's recorded MD5: a cut or mixed-up body cannot match it.
      if (res.status !== 200 || res.headers.get('etag') !== `"${md5}"`)
        failures.push(`download ${table}: ${res.status}, ${body.length} bytes, etag ${res.headers.get('etag')} vs md5 ${md5}`);
      downloads++;
    };
    const client = async (i: number) => {
      for (let n = i; !done.value; n++) {
        const table = TABLES[n % TABLES.length];
        try {
          await (n % 2 ? query(table) : download(table));
        } catch (e) {
          failures.push(`${n % 2 ? 'query' : 'download'} ${table}: ${(e as Error).message} ${String((e as Error).cause ?? '')}`);
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));

    try {
      for (let round = 1; round <= ROUNDS; round++) {
        for (const table of TABLES.slice(1)) await replaceFile(join(folder, `${table}.csv`), csv(table, round));
        // Each round: an upload (which queues a sync of the whole source) followed by a sync of
        // its table, and a sync per other table, all at once, so commits of the source overlap
        // with each other and with rebuilds. (A table a queued run is writing is a ConflictError
        // of that table in the other run, not an error of the sync.)
        const synced = await Promise.all([
          upload('t0', csv('t0', round)).then((res) => {
            expect(res.status).toBe(201);
            return t.host.syncSource('src0', ['t0']);
          }),
          ...TABLES.slice(1).map((table) => t.host.syncSource('src0', [table])),
        ]);
        for (const s of synced) expect(s.error).toBeUndefined();
      }
    } finally {
      done.value = true;
      await Promise.all(clients);
    }

    expect({ failed: failures.length, first: failures.slice(0, 5) }).toEqual({ failed: 0, first: [] });
    expect(queries).toBeGreaterThan(ROUNDS);
    expect(downloads).toBeGreaterThan(ROUNDS);

    // Once the source is quiet (the syncs the uploads queued finish on their own) and no query
    // holds an old analytics database, only the files the extract lists are left.
    const deadline = Date.now() + 20_000;
    let onDisk: string[] = [];
    let listed: string[] = [];
    while (Date.now() < deadline) {
      [onDisk, listed] = [await parquetFiles(sourceDir()), await listedFiles(sourceDir())];
      if (onDisk.join() === listed.join()) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(onDisk).toEqual(listed);
    for (const p of initial) expect(existsSync(p)).toBe(false);
  });
});
