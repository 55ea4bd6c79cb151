import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '@aida/host/testing';
import { call, userWithSession } from '../identity/helpers.js';
import { dataHost } from './fixtures.js';

/**
 * POST /api/sync/download: many tables in one answer, each a JSON header line and its bytes,
 * the same bytes a single download sends; a table the caller may not read, or that does not
 * exist, is an error record with the single download's status; the last line says how many
 * files came.
 */
let t: TestHost;
let admin: string;
let analyst: { id: string; token: string };

beforeAll(async () => {
  ({ t, admin } = await dataHost());
  analyst = await userWithSession(t, admin, 'bulk-analyst@example.com', 'analyst');
  expect((await call(t, 'PUT', '/api/admin/registry/salaries', { token: admin, body: { is_public: false } })).status).toBe(200);
});
afterAll(() => t?.stop());

type Entry = { table: string; part: string | null; size?: number; md5?: string; sha256?: string; error?: { status: number; code: string }; bytes?: Buffer };

/** The answer split into its records (and the end line). */
function parse(body: Buffer): { records: Entry[]; end: unknown } {
  const records: Entry[] = [];
  let at = 0;
  for (;;) {
    const nl = body.indexOf(10, at);
    const header = JSON.parse(body.subarray(at, nl).toString()) as Entry & { end?: boolean };
    at = nl + 1;
    if (header.end) {
      expect(at).toBe(body.length);
      return { records, end: header };
    }
    if (header.size !== undefined) {
      header.bytes = body.subarray(at, at + header.size);
      at += header.size;
    }
    records.push(header);
  }
}

const bulk = (token: string, files: unknown) =>
  t.request('/api/sync/download', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ files }) });

describe('bulk download', () => {
  it('sends each readable table with the bytes and hashes of its single download, and an error record for the others', async () => {
    const res = await bulk(analyst.token, [{ table: 'orders' }, { table: 'salaries' }, { table: 'Customers' }, { table: 'nope' }]);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/vnd.aida.files');
    const { records, end } = parse(Buffer.from(await res.arrayBuffer()));
    expect(end).toEqual({ end: true, files: 2 });
    expect(records.map((r) => [r.table, r.error?.status ?? 200])).toEqual([
      ['orders', 200],
      ['salaries', 403],
      ['customers', 200],
      ['nope', 403],
    ]);
    const manifest = (await call(t, 'GET', '/api/sync/manifest', { token: analyst.token })).json as { tables: Record<string, { hash: string; sha256: string; size_bytes: number }> };
    for (const r of records.filter((x) => !x.error)) {
      const single = Buffer.from(await (await t.request(`/api/data/${r.table}/download`, { headers: { authorization: `Bearer ${analyst.token}` } })).arrayBuffer());
      expect(r.bytes!.equals(single)).toBe(true);
      expect(r).toMatchObject({ size: manifest.tables[r.table].size_bytes, md5: manifest.tables[r.table].hash, sha256: manifest.tables[r.table].sha256 });
      expect(createHash('sha256').update(r.bytes!).digest('hex')).toBe(r.sha256);
    }
    // An admin may read salaries; a table that does not exist is then a 404 record.
    const asAdmin = parse(Buffer.from(await (await bulk(admin, [{ table: 'salaries' }, { table: 'nope' }])).arrayBuffer()));
    expect(asAdmin.records.map((r) => [r.table, r.error?.status ?? 200])).toEqual([
      ['salaries', 200],
      ['nope', 404],
    ]);
  });

  it('refuses an empty list, too many files and a caller without a token', async () => {
    expect((await bulk(analyst.token, [])).status).toBe(400);
    expect((await bulk(analyst.token, Array.from({ length: 1001 }, () => ({ table: 'orders' })))).status).toBe(400);
    expect((await bulk('', [{ table: 'orders' }])).status).toBe(401);
  });
});
