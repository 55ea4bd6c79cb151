// Request and response plumbing of the fake Jira: reading a body, answering JSON, bytes or text,
// and Jira's error body `{"errorMessages": [...], "errors": {}}`
// (https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#status-codes).
import type { IncomingMessage, ServerResponse } from 'node:http';

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Jira's error collection. */
export function jiraError(errorMessages: string[], errors: Record<string, string> = {}): { errorMessages: string[]; errors: Record<string, string> } {
  return { errorMessages, errors };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain;charset=UTF-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export function sendBytes(res: ServerResponse, bytes: Buffer, mimeType: string, filename: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(200, {
    'content-type': mimeType,
    'content-length': String(bytes.length),
    'content-disposition': `attachment; filename="${filename.replace(/"/g, '')}"`,
  });
  res.end(bytes);
}
