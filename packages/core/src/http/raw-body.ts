import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { PayloadTooLargeError } from '../errors.js';

/**
 * The request body as the client sent it, read up to `limitBytes` (more is a 413, read no
 * further). For routes under `/webhooks/`, which the host leaves unparsed: a signature is
 * computed over these exact bytes, and it must be checked before the body is trusted as JSON.
 */
export async function readRawBody(ctx: Context, limitBytes: number): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { limit: limitBytes });
  } catch (e) {
    if ((e as { type?: string }).type === 'entity.too.large') {
      throw new PayloadTooLargeError(`The request body is larger than ${limitBytes} bytes`, { detail: { limit_bytes: limitBytes } });
    }
    throw e;
  }
}
