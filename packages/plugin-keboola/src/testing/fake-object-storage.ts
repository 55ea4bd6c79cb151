// The file storages behind the fake stack's exports: signed URLs for non-sliced files and
// manifests, and the slice objects as S3 (path-style GetObject, checks the access key and
// session token), the GCS JSON API (`alt=media`, bearer token) and Azure Blob (SAS) serve them.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ACCESS_KEY_ID, GCS_TOKEN, SESSION_TOKEN, SIGNATURE } from './fake-credentials.js';
import type { Damage } from './fake-failures.js';
import { send, sendBytes, sendXml } from './fake-http.js';
import type { FakeFile, StoredObject } from './fake-model.js';

/** `GET /signed/files/{id}/…?X-Amz-Signature=…`: a file's content at its signed URL. */
export function serveSigned(files: ReadonlyMap<number, FakeFile>, url: URL, res: ServerResponse, damage: Damage): void {
  const m = /^\/signed\/files\/(\d+)\//.exec(url.pathname);
  const f = m ? files.get(Number(m[1])) : undefined;
  if (!f) return sendXml(res, 404, 'NoSuchKey', 'The specified key does not exist.');
  if (url.searchParams.get('X-Amz-Signature') !== SIGNATURE) return sendXml(res, 403, 'SignatureDoesNotMatch', 'bad signature');
  sendBytes(res, f.content, damage);
}

/** S3 GetObject, path-style: `/<bucket>/<key>`. */
export async function serveS3Object(
  objects: ReadonlyMap<string, StoredObject>,
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
  damage: Damage,
): Promise<void> {
  const auth = String(req.headers.authorization ?? '');
  if (!auth.startsWith('AWS4-HMAC-SHA256') || !auth.includes(`Credential=${ACCESS_KEY_ID}/`) || req.headers['x-amz-security-token'] !== SESSION_TOKEN) {
    return sendXml(res, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  if (req.method !== 'GET') return sendXml(res, 405, 'MethodNotAllowed', 'only GetObject');
  return sendObject(objects, decodeURIComponent(url.pathname.slice(1)), res, damage);
}

/** GCS JSON API media download: `/gcs/storage/v1/b/<bucket>/o/<key>?alt=media`. */
export async function serveGcsObject(
  objects: ReadonlyMap<string, StoredObject>,
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
  damage: Damage,
): Promise<void> {
  const m = /^\/gcs\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/.exec(url.pathname);
  if (req.headers.authorization !== `Bearer ${GCS_TOKEN}`) return send(res, 401, { error: { code: 401, message: 'Invalid Credentials' } });
  if (!m || url.searchParams.get('alt') !== 'media') return send(res, 400, { error: { code: 400, message: 'bad request' } });
  return sendObject(objects, `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`, res, damage);
}

/** Azure Blob GET with a SAS: `/azure/<container>/<name>?…&sig=…`. */
export async function serveAzureObject(objects: ReadonlyMap<string, StoredObject>, url: URL, res: ServerResponse, damage: Damage): Promise<void> {
  if (url.searchParams.get('sig') !== 'fakeAzureSigDoNotLog') return sendXml(res, 403, 'AuthenticationFailed', 'Server failed to authenticate the request.');
  return sendObject(objects, decodeURIComponent(url.pathname.slice('/azure/'.length)), res, damage);
}

async function sendObject(objects: ReadonlyMap<string, StoredObject>, key: string, res: ServerResponse, damage: Damage): Promise<void> {
  const obj = objects.get(key);
  if (!obj) return sendXml(res, 404, 'NoSuchKey', 'The specified key does not exist.');
  if (Buffer.isBuffer(obj)) return sendBytes(res, obj, damage);
  const size = (await stat(obj.path)).size;
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(size),
    etag: '"fake"',
    'last-modified': new Date(0).toUTCString(),
  });
  createReadStream(obj.path).pipe(res);
}
