// Request and response plumbing of the fake BigQuery: reading a body, the query string as a
// record, and answering JSON (results pages can be large, so the text is written once).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from './fake-errors.js';

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k of new Set(params.keys())) {
    const all = params.getAll(k);
    out[k] = all.length > 1 ? all : all[0];
  }
  return out;
}

/** JSON text already written (a page of rows), placed as is when the body around it is serialised. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify, with each RawJson spliced in verbatim. */
export function serialize(body: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(body, (_key, value: unknown) => (value instanceof RawJson ? `\u0000raw${raws.push(value.text) - 1}\u0000` : value));
  return raws.length ? text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]) : text;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = serialize(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, code: number, reason: string, message: string, location?: string): void {
  const headers: Record<string, string> = code === 401 ? { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' } : {};
  sendJson(res, code, errorBody(code, reason, message, location), headers);
}
