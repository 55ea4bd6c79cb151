import { mountPrefix } from '@aida/core';

/**
 * The instance's public URL: `instance.base_url` when set (what an issuer must be: stable, and
 * https behind a proxy), else what this request reached (protocol, host, mount prefix).
 */
export function baseUrlOf(ctx: { protocol: string; host: string; originalUrl: string; url: string }, configured: string | undefined): string {
  return configured ?? `${ctx.protocol}://${ctx.host}${mountPrefix(ctx)}`;
}
