// Requests over node:http(s), bodies read as the socket's own Buffers. `da` uses them instead
// of fetch() (which stays for multipart uploads): in a `--cpu-prof` of `da sync` of a 200 MB
// table, fetch's web stream (chunk transfers, a promise per chunk, the garbage they leave)
// took about twice the main-thread CPU per byte that node:http does, a first sync of 1,000
// tables spent ~1 s in fetch's per-request objects, and merely loading undici cost ~50 ms.
import type { IncomingMessage } from 'node:http';

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  /** Sent with its content-length. */
  body?: string;
}

/**
 * Resolves with the response once its headers are in. Aborting `signal` destroys the request
 * or, once it answered, the response with the signal's reason (a body being read rejects with it).
 */
export async function httpRequest(url: URL, r: HttpRequest, signal: AbortSignal): Promise<IncomingMessage> {
  // The global agents keep connections alive (Node ≥ 19): 1,000 small downloads reuse a few sockets.
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  signal.throwIfAborted();
  const body = r.body === undefined ? undefined : Buffer.from(r.body);
  const headers = body ? { ...r.headers, 'content-length': String(body.length) } : r.headers;
  return new Promise((resolve, reject) => {
    let res: IncomingMessage | undefined;
    const abort = () => void (res ?? req).destroy(signal.reason as Error);
    const req = request(url, { method: r.method, headers }, (answer) => {
      res = answer;
      answer.once('close', () => signal.removeEventListener('abort', abort));
      resolve(answer);
    });
    signal.addEventListener('abort', abort, { once: true });
    req.on('error', (e) => {
      signal.removeEventListener('abort', abort);
      reject(e);
    });
    req.end(body);
  });
}

/** A whole body as text. */
export async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** One header's value (the first, when repeated). */
export function header(res: IncomingMessage, name: string): string | null {
  const v = res.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}
