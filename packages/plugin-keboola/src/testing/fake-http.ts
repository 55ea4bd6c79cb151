// Request and response plumbing of the fake's HTTP servers: reading a body (JSON or form
// encoded, as Keboola accepts both) and answering with JSON, an S3-style XML error or bytes
// (optionally truncated, to simulate a connection cut mid-body, with a flipped bit, or stalling halfway).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Damage } from './fake-failures.js';

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function parseBody(text: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('json')) return JSON.parse(text) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const key = k.replace(/\[\]$/, '');
    if (k.endsWith('[]')) out[key] = [...((out[key] as string[]) ?? []), v];
    else out[key] = v;
  }
  return out;
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export function sendXml(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.destroyed) return;
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fake</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

export function sendBytes(res: ServerResponse, bytes: Buffer, damage: Damage): void {
  if (res.destroyed) return;
  let body = damage.truncate ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes;
  if (damage.corrupt && body.length) {
    body = Buffer.from(body);
    body[Math.max(0, body.length - 8)] ^= 0x01;
  }
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(body.length),
    etag: '"fake"',
    'last-modified': new Date(0).toUTCString(),
  });
  if (!damage.pauseMidBodyMs) return void res.end(body);
  const half = Math.floor(body.length / 2);
  res.write(body.subarray(0, half));
  setTimeout(() => {
    if (!res.destroyed) res.end(body.subarray(half));
  }, damage.pauseMidBodyMs);
}
