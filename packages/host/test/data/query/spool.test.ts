import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueryHost, type QueryHost } from './helpers.js';

/**
 * NDJSON and CSV written by the engine into a spool file sent as it grows (spool.ts, line-export.ts):
 * the spool is in the scratch folder while the answer streams and gone after it, however it
 * ended; the limits of stream.ts hold; a slow client does not hold the query slot once the
 * engine is done. One query slot, so a query that was not stopped would block the next.
 */

let h: QueryHost;

beforeAll(async () => {
  h = await startQueryHost({ query: { max_concurrent: 1, max_queued: 0, stall_timeout: '1s' } });
});
afterAll(async () => {
  await h?.stop();
});

const spools = async () => {
  const scratch = join(h.t.dataDir, 'tmp', 'query');
  return existsSync(scratch) ? (await readdir(scratch)).filter((f) => f.endsWith('.spool')) : [];
};

async function until(what: string, ok: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !(await ok()); ) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const slotFree = async () => (await h.query({ sql: 'SELECT 1 AS ok' })).status === 200;

function post(body: unknown, signal?: AbortSignal): Promise<Response> {
  return h.t.request('/api/query', { method: 'POST', signal, headers: { 'content-type': 'application/json', authorization: `Bearer ${h.analyst.token}` }, body: JSON.stringify(body) });
}

/** Minutes of output if it ran to the end. */
const HUGE = "SELECT range AS i, repeat('x', 200) AS pad FROM range(100000000)";

describe('NDJSON and CSV through a spool file', () => {
  it('streams through a spool in the scratch folder, removed when a client goes away mid-stream; the engine stops', async () => {
    for (const format of ['ndjson', 'csv']) {
      const abort = new AbortController();
      const res = await post({ sql: HUGE, format }, abort.signal);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const first = await reader.read();
      const text = new TextDecoder().decode(first.value!);
      const inSpool = await spools();
      abort.abort();
      await reader.cancel().catch(() => undefined);
      expect(text.startsWith(format === 'csv' ? 'i,pad\n0,xxxxxxxx' : '{"i":0,"pad":"xxxxxx')).toBe(true);
      expect(inSpool).toHaveLength(1);
      await until('the spool is removed', async () => (await spools()).length === 0);
      await until('the slot is free', slotFree);
    }
  });

  it('a client that reads nothing is cut off after the stall timeout: its query stopped, its spool removed', async () => {
    const started = Date.now();
    // A client that stops reading never sees the server close either: watch the server's side.
    const req = request(`${h.t.url}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.analyst.token}` } });
    const status = new Promise<number | undefined>((resolve, reject) => {
      req.once('response', (res) => {
        res.pause(); // never read
        resolve(res.statusCode);
      });
      req.once('error', reject);
    });
    req.end(JSON.stringify({ sql: HUGE, format: 'ndjson' }));
    try {
      expect(await status).toBe(200);
      expect(await spools()).toHaveLength(1);
      await until('the spool is removed', async () => (await spools()).length === 0);
      await until('the slot is free', slotFree);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      req.destroy();
    }
  });

  it('the row limit, empty results and special values', async () => {
    expect((await h.query({ sql: 'SELECT * FROM range(5000) ORDER BY range DESC', format: 'ndjson', limit: 2 })).text).toBe('{"range":4999}\n{"range":4998}\n');
    expect((await h.query({ sql: 'SELECT * FROM range(5000)', format: 'csv', limit: 0 })).text).toBe('range\n');
    expect((await h.query({ sql: 'SELECT * FROM range(5000)', format: 'ndjson', limit: 0 })).text).toBe('');
    expect((await h.query({ sql: 'SELECT id, note FROM orders WHERE false', format: 'csv' })).text).toBe('id,note\n');
    const special = `SELECT 'nan'::DOUBLE AS nan, '-inf'::DOUBLE AS ninf, 1e21 AS e21, 1.5e-7 AS tiny, 12.0 AS twelve, 9007199254740993::BIGINT AS big,
      12.50::DECIMAL(10,2) AS dec, TIMESTAMPTZ '2024-02-03 04:05:06.5+02' AS tz, 'infinity'::DATE AS dinf, 'a' || chr(31) AS ctl, ' padded' AS pad, NULL::INTEGER AS n`;
    expect((await h.query({ sql: special, format: 'ndjson' })).text).toBe(
      '{"nan":"NaN","ninf":"-Infinity","e21":1e+21,"tiny":1.5e-7,"twelve":12.0,"big":"9007199254740993","dec":12.50,"tz":"2024-02-03T02:05:06.5Z","dinf":"infinity","ctl":"a\\u001f","pad":" padded","n":null}\n',
    );
    expect((await h.query({ sql: special, format: 'csv' })).text).toBe(
      'nan,ninf,e21,tiny,twelve,big,dec,tz,dinf,ctl,pad,n\nNaN,-Infinity,1e+21,1.5e-7,12.0,9007199254740993,12.50,2024-02-03T02:05:06.5Z,infinity,a\u001f," padded",\n',
    );
    await until('every spool is removed', async () => (await spools()).length === 0);
  });
});

describe('a slow client of a spooled export', () => {
  let slow: QueryHost;
  beforeAll(async () => {
    slow = await startQueryHost({ query: { max_concurrent: 1, max_queued: 0, stall_timeout: '30s' } });
  });
  afterAll(async () => {
    await slow?.stop();
  });

  it('does not hold the query slot once the engine is done, and still gets every byte', async () => {
    const rows = 200_000;
    const req = request(`${slow.t.url}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${slow.analyst.token}` } });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    // Every line differs (an md5 of its number): a read buffer reused before the socket had
    // written it (read-buffers.ts) would garble or repeat lines, and the check of each catches it.
    req.end(JSON.stringify({ sql: `SELECT range AS i, repeat(md5(range::VARCHAR), 3) AS pad FROM range(${rows})`, format: 'ndjson' }));
    const res = await response;
    res.pause(); // read nothing while the engine writes the rest
    try {
      expect(res.statusCode).toBe(200);
      // One slot: another query runs only once the export's engine work is over, long before
      // its client has read the answer.
      const other = async () => (await slow.query({ sql: 'SELECT 1 AS ok' })).status === 200;
      await until('another query gets the slot', other);
      const scratch = join(slow.t.dataDir, 'tmp', 'query');
      expect((await readdir(scratch)).filter((f) => f.endsWith('.spool'))).toHaveLength(1);
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      const lines = Buffer.concat(chunks).toString().split('\n');
      expect(lines.pop()).toBe('');
      expect(lines).toHaveLength(rows);
      const wrong = lines.findIndex((line, i) => line !== `{"i":${i},"pad":"${createHash('md5').update(String(i)).digest('hex').repeat(3)}"}`);
      expect(wrong).toBe(-1);
      await until('the spool is removed', async () => (await readdir(scratch)).every((f) => !f.endsWith('.spool')));
    } finally {
      req.destroy();
    }
  });
});
