// Where the slices of a sliced export live, per storage provider: S3 (with the file's temporary
// credentials), GCS (JSON API with a bearer token) and Azure Blob (SAS). Each provider's URL
// scheme, authentication and error shape is confined here; the download code only asks for
// a readable stream per slice URL.
import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ClientRuntime, KeboolaFile } from './client-types.js';
import { openUrl } from './http.js';
import { KeboolaMalformedResponseError, KeboolaStorageError } from './errors.js';
import { KeboolaError, parseRetryAfter } from './retry.js';

/** Opens each slice of one sliced file; `close` releases what the provider needed (an S3 client). */
export interface SliceOpener {
  get(url: string, signal: AbortSignal): Promise<Readable>;
  close(): void;
}

/** How to open each slice of a sliced file on this stack's storage. */
export function sliceOpener(file: KeboolaFile, rt: ClientRuntime): SliceOpener {
  const { redact } = rt;
  const provider = file.provider ?? (file.credentials ? 'aws' : file.gcsCredentials ? 'gcp' : file.absCredentials ? 'azure' : 'unknown');
  if (provider === 'aws') {
    const c = file.credentials;
    if (!c) throw new KeboolaMalformedResponseError(`file ${file.id} is sliced on S3 but its detail has no credentials (was federationToken=1 ignored?)`);
    const s3 = new S3Client({
      region: file.region ?? 'us-east-1',
      credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
      ...(rt.options.s3Endpoint ? { endpoint: rt.options.s3Endpoint, forcePathStyle: true } : {}),
      // Retries are ours (one policy for every request, with Retry-After and jitter).
      maxAttempts: 1,
    });
    return {
      get: async (url, signal) => {
        const { bucket, key } = parseObjectUrl(url, 's3:');
        try {
          const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
          if (!out.Body) throw new KeboolaError(`S3 object ${bucket}/${key} has no body`, { retryable: true });
          return out.Body as Readable;
        } catch (e) {
          throw s3Error(e, `s3://${bucket}/${key}`);
        }
      },
      close: () => s3.destroy(),
    };
  }
  if (provider === 'gcp') {
    const token = file.gcsCredentials?.access_token;
    if (!token) throw new KeboolaMalformedResponseError(`file ${file.id} is sliced on GCS but its detail has no gcsCredentials`);
    const base = (rt.options.gcsEndpoint ?? 'https://storage.googleapis.com').replace(/\/+$/, '');
    return {
      get: (url, signal) => {
        const { bucket, key } = parseObjectUrl(url, 'gs:');
        const objectUrl = `${base}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(key)}?alt=media`;
        return openUrl(objectUrl, { authorization: `Bearer ${token}` }, signal, redact);
      },
      close: () => undefined,
    };
  }
  if (provider === 'azure') {
    const cs = file.absCredentials?.SASConnectionString;
    if (!cs) throw new KeboolaMalformedResponseError(`file ${file.id} is sliced on Azure Blob Storage but its detail has no absCredentials`);
    const { blobEndpoint, sas } = parseSasConnectionString(cs);
    return {
      get: (url, signal) => {
        const u = new URL(url);
        if (u.protocol !== 'azure:') throw new KeboolaMalformedResponseError(`slice URL is not azure://: ${redact(url)}`);
        const endpoint = (blobEndpoint ?? `https://${u.host}`).replace(/\/+$/, '');
        return openUrl(`${endpoint}${u.pathname}${sas ? `?${sas}` : ''}`, {}, signal, redact);
      },
      close: () => undefined,
    };
  }
  throw new KeboolaMalformedResponseError(`file ${file.id} is sliced on an unknown storage provider ${JSON.stringify(provider)}`);
}

/** `s3://bucket/key` or `gs://bucket/key` → bucket and key. */
export function parseObjectUrl(url: string, protocol: 's3:' | 'gs:'): { bucket: string; key: string } {
  const m = /^([a-z0-9]+:)\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m || m[1] !== protocol) throw new KeboolaMalformedResponseError(`slice URL ${JSON.stringify(url.replace(/\?.*$/, ''))} is not ${protocol}//bucket/key`);
  return { bucket: m[2], key: m[3] };
}

/** `BlobEndpoint=https://acc.blob.core.windows.net;SharedAccessSignature=sv=…` → its parts. */
export function parseSasConnectionString(cs: string): { blobEndpoint?: string; sas?: string } {
  const out: { blobEndpoint?: string; sas?: string } = {};
  for (const part of cs.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k === 'BlobEndpoint') out.blobEndpoint = v;
    if (k === 'SharedAccessSignature') out.sas = v.replace(/^\?/, '');
  }
  return out;
}

function s3Error(e: unknown, where: string): unknown {
  if (e instanceof KeboolaError) return e;
  const err = e as Error & { $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string> }; Code?: string };
  // Aborts and timeouts are classified by the caller, which knows which signal fired.
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') return e;
  const status = err?.$metadata?.httpStatusCode;
  const retryable = status === undefined || status === 429 || status >= 500;
  const retryAfter = err?.$response?.headers?.['retry-after'];
  return new KeboolaStorageError(
    `GET ${where} failed${status ? ` with ${status}` : ''}: ${err?.name ?? 'Error'}${err?.message && err.message !== err.name ? `: ${err.message}` : ''}`,
    {
      httpStatus: status,
      retryable,
      retryAfterMs: retryable ? parseRetryAfter(retryAfter) : undefined,
    },
  );
}
