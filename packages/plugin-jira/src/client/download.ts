// Downloading an attachment's content: only from the configured site, whose answer is Jira's
// redirect to its media host (a signed URL that needs no Basic auth, so the Authorization header
// stays with the site). Streamed to a temporary file next to the destination and renamed into
// place, so a reader never sees half a file; cut off and deleted as soon as it exceeds the limit.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { DownloadResult } from './types.js';
import { USER_AGENT, type JiraHttp } from './http.js';
import { isSecureOrLoopback, offSite } from './site.js';

/** Jira answers with one redirect to its media host; a few more hops are tolerated, a loop is not. */
const MAX_REDIRECTS = 3;

/** The body outgrew the limit: the download is refused, not retried. */
class TooLarge extends Error {}

/** A redirect the client will not follow: refused, not retried. */
class Refused extends Error {}

export async function downloadAttachment(http: JiraHttp, contentUrl: string, dest: string, maxBytes: number, signal: AbortSignal): Promise<DownloadResult> {
  let url: URL;
  try {
    url = new URL(contentUrl);
  } catch {
    return { saved: false, reason: 'the content URL is not a URL' };
  }
  const off = offSite(url, http.site);
  if (off) return { saved: false, reason: `refused to download ${http.where(contentUrl)}: ${off}` };
  try {
    return await http.retrying('GET', url.pathname, signal, () => attempt(http, url, dest, maxBytes, signal));
  } catch (e) {
    if (e instanceof Refused) return { saved: false, reason: e.message };
    throw e;
  }
}

async function attempt(http: JiraHttp, url: URL, dest: string, maxBytes: number, caller: AbortSignal): Promise<DownloadResult> {
  const path = url.pathname;
  // One idle deadline for the whole attempt, pushed back by the headers and by every chunk.
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new DOMException(`no data for ${http.timeoutMs} ms`, 'TimeoutError')), http.timeoutMs);
  };
  const signal = AbortSignal.any([caller, idle.signal]);
  touch();
  const part = `${dest}.part-${randomBytes(6).toString('hex')}`;
  try {
    let res: Response;
    try {
      res = await follow(http, url, signal);
    } catch (e) {
      throw e instanceof Refused ? e : http.transportError('GET', path, e, signal);
    }
    touch();
    if (res.status === 404) {
      await res.body?.cancel();
      return { saved: false, reason: 'Jira has no such attachment any more (404)' };
    }
    if (res.status !== 200 || !res.body) {
      const text = await res.text().catch(() => '');
      throw http.httpError('GET', path, res, text);
    }
    const announced = Number(res.headers.get('content-length') ?? NaN);
    if (announced > maxBytes) {
      await res.body.cancel();
      return tooLarge(maxBytes, `${announced} bytes announced`);
    }
    await mkdir(dirname(dest), { recursive: true });
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb: TransformCallback) {
        bytes += chunk.length;
        touch();
        cb(bytes > maxBytes ? new TooLarge() : null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), counter, createWriteStream(part), { signal });
    } catch (e) {
      await rm(part, { force: true });
      if (e instanceof TooLarge) return tooLarge(maxBytes, 'more than that sent');
      throw http.transportError('GET', path, e, signal);
    }
    await rename(part, dest);
    return { saved: true, bytes };
  } catch (e) {
    await rm(part, { force: true });
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function tooLarge(maxBytes: number, what: string): DownloadResult {
  return { saved: false, reason: `the attachment is larger than attachments.max_bytes (${maxBytes} bytes; ${what})` };
}

/**
 * GETs `url` on the site with Basic auth and follows redirects by hand, without it: the site
 * may send the client to another host (Jira's media host); a response from any other host may
 * only redirect within that host.
 */
async function follow(http: JiraHttp, start: URL, signal: AbortSignal): Promise<Response> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const onSite = url.origin === http.site.origin;
    // Only the content URL itself gets the credentials; what it redirects to is signed already.
    const res = await http.fetch(url, {
      headers: hop === 0 ? http.siteHeaders({ accept: '*/*' }) : { accept: '*/*', 'user-agent': USER_AGENT },
      redirect: 'manual',
      signal,
    });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
    if (!location) return res;
    await res.body?.cancel();
    const next = new URL(location, url);
    if (hop >= MAX_REDIRECTS) throw new Refused(`refused to download ${http.where(start.href)}: more than ${MAX_REDIRECTS} redirects`);
    // Plain http only in a loopback test setup: an https site never sends the client to http.
    const plainAllowed = http.site.protocol === 'http:' && isSecureOrLoopback(next);
    if (next.protocol !== 'https:' && !plainAllowed) throw new Refused(`refused to follow the redirect to ${http.where(next.href)}: it is not https`);
    if (!onSite && next.origin !== url.origin) {
      throw new Refused(`refused to follow the redirect from ${url.origin} to ${next.origin}: only the Jira site may send a download to another host`);
    }
    url = next;
  }
}
