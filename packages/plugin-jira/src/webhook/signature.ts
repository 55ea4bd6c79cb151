import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Whether `headers` carry a valid HMAC-SHA256 (hex) of `body` under `secret`: Jira's
 * `X-Hub-Signature` (`sha256=<hex>`), or `X-Hub-Signature-256` (preferred when both are sent);
 * the `sha256=` prefix is optional. Compared in constant time.
 */
export function validSignature(body: Buffer, headers: Record<string, string | string[] | undefined>, secret: string): boolean {
  const header = one(headers['x-hub-signature-256']) ?? one(headers['x-hub-signature']);
  if (!header) return false;
  const given = header.trim().replace(/^sha256=/i, '');
  if (!/^[0-9a-f]{64}$/i.test(given)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v) || undefined;
