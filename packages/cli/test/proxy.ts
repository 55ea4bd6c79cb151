// A loopback HTTP proxy in front of the host that records each request's headers and can
// slow response bodies down, so a test can kill `da` in the middle of a download.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Proxy {
  url: string;
  requests: { method: string; path: string; headers: IncomingHttpHeaders; status?: number }[];
  /** Bytes per 20 ms tick for bodies of downloads; 0 = full speed. */
  throttle: number;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<Proxy> {
  const t = new URL(target);
  const proxy: Proxy = { url: '', requests: [], throttle: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const rec: Proxy['requests'][number] = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
    proxy.requests.push(rec);
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } }, (ur) => {
      rec.status = ur.statusCode;
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      const step = (req.url ?? '').includes('/download') ? proxy.throttle : 0;
      res.on('close', () => ur.destroy()); // the client went away (killed): stop reading
      if (step <= 0) return void ur.pipe(res);
      ur.on('data', (chunk: Buffer) => {
        ur.pause();
        const pieces: Buffer[] = [];
        for (let i = 0; i < chunk.length; i += step) pieces.push(chunk.subarray(i, i + step));
        const next = () => {
          const p = pieces.shift();
          if (res.destroyed) return;
          if (!p) return void ur.resume();
          res.write(p);
          setTimeout(next, 20);
        };
        next();
      });
      ur.on('end', () => setTimeout(() => res.end(), 25));
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
  return proxy;
}
