// A loopback HTTP proxy in front of the host that records each request's headers and can
// slow response bodies down, so a test can kill `da` in the middle of a download, or play an
// older host that lacks a route.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';

export interface Proxy {
  url: string;
  requests: { method: string; path: string; headers: IncomingHttpHeaders; status?: number }[];
  /** Bytes per 20 ms tick for bodies of downloads; 0 = full speed. */
  throttle: number;
  /** Answer this many next download requests with 503 (and Retry-After: 0). */
  fail503: number;
  /** Cut the connection of the next download after this many body bytes (0 = off). */
  cutAfter: number;
  /** Paths answered 404, as by a host that has no such route. */
  missingRoutes: string[];
  /** Flip one byte of every download body (see corrupted; the length stays). */
  corrupt: boolean;
  /** Send the sync manifest without its SHA-256 fields, as a host older than them does. */
  noSha256: boolean;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<Proxy> {
  const t = new URL(target);
  const proxy: Proxy = {
    url: '',
    requests: [],
    throttle: 0,
    fail503: 0,
    cutAfter: 0,
    missingRoutes: [],
    corrupt: false,
    noSha256: false,
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const rec: Proxy['requests'][number] = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
    proxy.requests.push(rec);
    if (proxy.missingRoutes.includes((req.url ?? '').split('?')[0]!)) {
      rec.status = 404;
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ code: 'AIDA_NOT_FOUND', message: 'no such route' }));
    }
    const download = (req.url ?? '').includes('/download');
    if (download && proxy.fail503 > 0) {
      proxy.fail503--;
      rec.status = 503;
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
      return void res.end(JSON.stringify({ code: 'INJECTED', message: 'injected outage' }));
    }
    const cut = download ? proxy.cutAfter : 0;
    if (cut) proxy.cutAfter = 0;
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } }, (ur) => {
      rec.status = ur.statusCode;
      if (proxy.noSha256 && (req.url ?? '').startsWith('/api/sync/manifest')) return void withoutSha256(ur, res);
      if (download && proxy.corrupt) return void corrupted(ur, res);
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      const step = download ? proxy.throttle : 0;
      res.on('close', () => ur.destroy()); // the client went away (killed): stop reading
      if (cut) {
        let sent = 0;
        ur.on('data', (chunk: Buffer) => {
          const room = cut - sent;
          sent += chunk.length;
          if (room <= 0) return;
          // Cut once the bytes before the cut are flushed to the client.
          res.write(chunk.subarray(0, room), () => {
            if (sent >= cut) res.socket?.destroy();
          });
        });
        return;
      }
      if (step <= 0) return void ur.pipe(res);
      ur.pipe(throttled(step)).pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return proxy;
}

/** The whole body, read, with `edit` applied, under the same status and headers (its length set again). */
async function rewritten(ur: IncomingMessage, res: ServerResponse, edit: (body: Buffer) => Buffer): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of ur) chunks.push(c as Buffer);
  const body = edit(Buffer.concat(chunks));
  const headers = { ...ur.headers, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  res.writeHead(ur.statusCode ?? 502, headers);
  res.end(body);
}

/** One byte flipped: in the middle of a file, or in a bulk answer the last byte of its last file. */
function corrupted(ur: IncomingMessage, res: ServerResponse): Promise<void> {
  return rewritten(ur, res, (b) => {
    const endLine = b.lastIndexOf('{"end":');
    const at = endLine > 0 ? endLine - 1 : b.length >> 1;
    if (b.length) b[at] ^= 0xff;
    return b;
  });
}

function withoutSha256(ur: IncomingMessage, res: ServerResponse): Promise<void> {
  return rewritten(ur, res, (b) => Buffer.from(JSON.stringify(JSON.parse(b.toString()), (k, v: unknown) => (k === 'sha256' ? undefined : v))));
}

/** Passes `step` bytes every 20 ms, in order, with backpressure. */
function throttled(step: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      let i = 0;
      const next = () => {
        if (i >= chunk.length) return cb();
        this.push(chunk.subarray(i, i + step));
        i += step;
        setTimeout(next, 20);
      };
      next();
    },
  });
}
