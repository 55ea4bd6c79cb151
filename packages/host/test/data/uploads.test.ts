import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { call, userWithSession } from '../identity/helpers.js';
import { dataHost } from './fixtures.js';

let t: TestHost;
let admin: string;
let folders: Record<string, string>;
let analyst: { id: string; token: string };

beforeAll(async () => {
  ({ t, admin, folders } = await dataHost());
  analyst = await userWithSession(t, admin, 'uploader@example.com', 'analyst');
});
afterAll(() => t?.stop());

function upload(path: string, token: string, file: { name: string; content: string | Buffer; type?: string }) {
  const form = new FormData();
  form.append('file', new Blob([file.content], { type: file.type ?? 'text/csv' }), file.name);
  return t.request(path, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
}

async function waitForRows(table: string, rows: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const c = await call(t, 'GET', '/api/catalog/tables', { token: admin });
    if (c.json.tables.find((x: { id: string }) => x.id === table)?.rows === rows) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`table ${table} never reached ${rows} rows`);
}

describe('admin uploads into a local source', () => {
  it('a CSV becomes a table after the queued sync', async () => {
    const res = await upload('/api/local-files/sources/shop/tables/targets', admin, { name: 'targets.csv', content: 'region,target\neu,10\nus,12\napac,7\n' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ source: 'shop', table: 'targets', format: 'csv', rows: 3, sync: 'queued' });
    await waitForRows('targets', 3);
  });

  it('a malformed CSV is a 400 naming the line, and the previous file stays', async () => {
    const before = readFileSync(join(folders.shop, 'targets.csv'));
    const rows = Array.from({ length: 40 }, (_, i) => `r${i},${i}`).join('\n');
    const res = await upload('/api/local-files/sources/shop/tables/targets', admin, { name: 'targets.csv', content: `region,target\n${rows}\nbroken,1,extra\n` });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.code).toBe('AIDA_MALFORMED_FILE');
    expect(body.message).toMatch(/^targets\.csv, line 42: Expected Number of Columns: 2 Found: 3/);
    expect(readFileSync(join(folders.shop, 'targets.csv')).equals(before)).toBe(true);
    expect(readdirSync(folders.shop).filter((f) => f.startsWith('.upload'))).toEqual([]);
  });

  it('over the size limit → 413 and nothing written; not Parquet → 400; wrong kind of file → 400', async () => {
    const big = Buffer.alloc(201 * 1024 * 1024, 'a');
    const res = await t.request('/api/local-files/sources/shop/tables/huge', {
      method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' }, body: big,
    });
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe('AIDA_PAYLOAD_TOO_LARGE');
    expect(existsSync(join(folders.shop, 'huge.csv'))).toBe(false);
    const notParquet = await upload('/api/local-files/sources/shop/tables/fake', admin, { name: 'fake.parquet', content: 'this is not parquet', type: 'application/octet-stream' });
    expect(notParquet.status).toBe(400);
    expect((await notParquet.json()).message).toMatch(/not a readable Parquet file/);
    expect((await upload('/api/local-files/sources/shop/tables/notes', admin, { name: 'notes.txt', content: 'hello', type: 'text/plain' })).status).toBe(400);
  });

  it('only admins may upload; unknown sources and bad table names are refused', async () => {
    expect((await upload('/api/local-files/sources/shop/tables/x', analyst.token, { name: 'x.csv', content: 'a\n1\n' })).status).toBe(403);
    expect((await upload('/api/local-files/sources/nope/tables/x', admin, { name: 'x.csv', content: 'a\n1\n' })).status).toBe(404);
    expect((await upload('/api/local-files/sources/shop/tables/bad-name', admin, { name: 'x.csv', content: 'a\n1\n' })).status).toBe(400);
  });
});

describe('analyst uploads', () => {
  it('sessions and artifacts are stored per user; over 50 MB → 413', async () => {
    const s = await upload('/api/upload/sessions', analyst.token, { name: '../../evil session.jsonl', content: '{"role":"user"}\n', type: 'application/json' });
    expect(s.status).toBe(201);
    const { file } = await s.json();
    expect(file).toMatch(/-evil_session\.jsonl$/);
    expect(readFileSync(join(t.dataDir, 'uploads', analyst.id, 'sessions', file), 'utf8')).toBe('{"role":"user"}\n');
    expect((await upload('/api/upload/artifacts', analyst.token, { name: 'chart.png', content: Buffer.from([1, 2, 3]), type: 'image/png' })).status).toBe(201);
    const big = await upload('/api/upload/artifacts', analyst.token, { name: 'big.bin', content: Buffer.alloc(51 * 1024 * 1024), type: 'application/octet-stream' });
    expect(big.status).toBe(413);
    const viewer = await userWithSession(t, admin, 'looker@example.com', 'viewer');
    expect((await upload('/api/upload/sessions', viewer.token, { name: 's.jsonl', content: '{}' })).status).toBe(403);
  });

  it('local-md replaces the user’s notes', async () => {
    expect((await call(t, 'POST', '/api/upload/local-md', { token: analyst.token, body: { content: '# notes\n- revenue excludes VAT\n' } })).status).toBe(201);
    expect((await call(t, 'POST', '/api/upload/local-md', { token: analyst.token, body: { content: '# notes v2\n' } })).status).toBe(201);
    expect(readFileSync(join(t.dataDir, 'uploads', analyst.id, 'CLAUDE.local.md'), 'utf8')).toBe('# notes v2\n');
    expect((await call(t, 'POST', '/api/upload/local-md', { token: analyst.token, body: {} })).status).toBe(400);
  });
});
