// Attachment downloads: only from the configured site, through Jira's redirect to its media host
// (which never sees the Authorization header), atomically into place, and never past the size
// limit: a refused or oversized download leaves no file, not even a partial one.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeJira, type FakeJira } from '../../src/testing/index.js';
import { captureLogger, clientFor, signal } from './helpers.js';

let jira: FakeJira;
let dir: string;
const servers: Server[] = [];

beforeEach(async () => {
  jira = await startFakeJira();
  dir = await mkdtemp(join(tmpdir(), 'jira-download-'));
});
afterEach(async () => {
  await jira.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  await rm(dir, { recursive: true, force: true });
});

/** A plain loopback HTTP server, for what the fake does not do (a chunked body, another host). */
async function serve(handler: RequestListener): Promise<{ url: string; seen: { path: string; authorization?: string }[] }> {
  const seen: { path: string; authorization?: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** Everything under `dir`, so a test sees stray `.part-*` files too. */
async function files(): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

function attachment(bytes: Buffer, filename = 'dump.bin'): string {
  const issue = jira.putIssue({ key: 'SUP-3', attachments: [{ filename, content: bytes }] });
  return `${jira.url}/rest/api/3/attachment/content/${issue.attachments[0].id}`;
}

describe('downloadAttachment', () => {
  it('follows the redirect to the media URL without the Authorization header and renames the file into place', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    const url = attachment(bytes);
    const dest = join(dir, 'SUP-3', '10000_dump.bin');
    const result = await clientFor(jira, captureLogger().logger).downloadAttachment(url, dest, 1_000_000, signal());
    expect(result).toEqual({ saved: true, bytes: bytes.length });
    expect(await readFile(dest)).toEqual(bytes);
    expect(await files()).toEqual(['SUP-3', join('SUP-3', '10000_dump.bin')]);
    const [content, media] = jira.requests;
    expect(content).toMatchObject({ path: expect.stringMatching(/^\/rest\/api\/3\/attachment\/content\/\d+$/), status: 303 });
    expect(content.headers.authorization).toBe(jira.authorization);
    expect(media).toMatchObject({ path: expect.stringMatching(/^\/fake-media\/file\/\d+\/binary$/), status: 200 });
    expect(media.headers.authorization).toBeUndefined();
  });

  it('replaces a file already at the destination', async () => {
    const dest = join(dir, 'a.txt');
    await writeFile(dest, 'old and longer content');
    expect(await clientFor(jira, captureLogger().logger).downloadAttachment(attachment(Buffer.from('new')), dest, 1000, signal())).toEqual({
      saved: true,
      bytes: 3,
    });
    expect(await readFile(dest, 'utf8')).toBe('new');
  });

  it('refuses a body whose Content-Length exceeds max_bytes, leaving no file', async () => {
    const url = attachment(Buffer.alloc(2000, 1));
    const result = await clientFor(jira, captureLogger().logger).downloadAttachment(url, join(dir, 'SUP-3', 'big.bin'), 1000, signal());
    expect(result).toEqual({ saved: false, reason: expect.stringContaining('larger than attachments.max_bytes (1000 bytes; 2000 bytes announced)') });
    expect(await files()).toEqual([]);
  });

  it('cuts off a body that grows past max_bytes without announcing its length, leaving no partial file', async () => {
    const site = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked: no Content-Length
      let sent = 0;
      const more = (): void => {
        if (sent >= 200 || res.destroyed) return void res.end();
        sent++;
        res.write(Buffer.alloc(16_384, 7), () => setImmediate(more));
      };
      more();
    });
    const client = clientFor(jira, captureLogger().logger, { siteUrl: site.url });
    const result = await client.downloadAttachment(`${site.url}/rest/api/3/attachment/content/1`, join(dir, 'x', 'big.bin'), 100_000, signal());
    expect(result).toEqual({ saved: false, reason: expect.stringContaining('larger than attachments.max_bytes (100000 bytes; more than that sent)') });
    expect(await files()).toEqual(['x']);
  });

  it('refuses a content URL on any other host or scheme without requesting it', async () => {
    const other = await serve((_req, res) => res.end('secret intranet page'));
    const client = clientFor(jira, captureLogger().logger);
    const port = new URL(jira.url).port;
    for (const url of [
      `${other.url}/rest/api/3/attachment/content/1`,
      `https://127.0.0.1:${port}/rest/api/3/attachment/content/1`,
      `http://localhost:${port}/rest/api/3/attachment/content/1`,
      'file:///etc/passwd',
      'not a url',
    ]) {
      const result = await client.downloadAttachment(url, join(dir, 'f'), 1000, signal());
      expect(result.saved, url).toBe(false);
    }
    const result = await client.downloadAttachment(`${other.url}/x?token=abc`, join(dir, 'f'), 1000, signal());
    expect(result).toEqual({ saved: false, reason: `refused to download ${other.url}/x: it is not on the Jira site ${jira.url}` });
    expect(other.seen).toEqual([]);
    expect(jira.requests).toEqual([]);
    expect(await files()).toEqual([]);
  });

  it("lets the site redirect to another host (Jira's media host), which gets no credentials, but not that host on to a third", async () => {
    const bytes = Buffer.from('media bytes');
    const media = await serve((req, res) => {
      if (req.url === '/bounce') return void res.writeHead(302, { location: `${third.url}/loot` }).end();
      res.writeHead(200, { 'content-length': String(bytes.length) }).end(bytes);
    });
    const third = await serve((_req, res) => res.end('should never be asked'));
    const site = await serve((req, res) =>
      res.writeHead(303, { location: req.url === '/rest/api/3/attachment/content/2' ? `${media.url}/bounce` : `${media.url}/file?token=t` }).end(),
    );
    const client = clientFor(jira, captureLogger().logger, { siteUrl: site.url });

    expect(await client.downloadAttachment(`${site.url}/rest/api/3/attachment/content/1`, join(dir, 'ok.bin'), 1000, signal())).toEqual({
      saved: true,
      bytes: bytes.length,
    });
    expect(site.seen[0].authorization).toBe(jira.authorization);
    expect(media.seen).toEqual([{ path: '/file?token=t', authorization: undefined }]);

    const refused = await client.downloadAttachment(`${site.url}/rest/api/3/attachment/content/2`, join(dir, 'no.bin'), 1000, signal());
    expect(refused).toEqual({
      saved: false,
      reason: expect.stringMatching(/refused to follow the redirect from http:\/\/127\.0\.0\.1:\d+ to http:\/\/127\.0\.0\.1:\d+: only the Jira site/),
    });
    expect(third.seen).toEqual([]);
    expect(await files()).toEqual(['ok.bin']);
  });

  it('answers saved: false for an attachment Jira no longer has, and throws after the retries when Jira keeps failing', async () => {
    const client = clientFor(jira, captureLogger().logger);
    expect(await client.downloadAttachment(`${jira.url}/rest/api/3/attachment/content/99999`, join(dir, 'gone'), 1000, signal())).toEqual({
      saved: false,
      reason: 'Jira has no such attachment any more (404)',
    });
    const url = attachment(Buffer.from('abc'));
    jira.fail({ path: '/fake-media/', status: 500, times: 10 });
    await expect(client.downloadAttachment(url, join(dir, 'f'), 1000, signal())).rejects.toMatchObject({
      code: 'JIRA_HTTP',
      message: expect.stringMatching(/^GET \/rest\/api\/3\/attachment\/content\/\d+ answered 500: .*\(gave up after 3 attempts\)$/),
    });
    expect(await files()).toEqual([]);
  });
});
