import type { Context } from 'koa';
import { mountPrefix } from '@aida/core';
import type { PortalContext } from './context.js';

/**
 * The address people and `da` reach this host at: `instance.base_url` when set (behind a
 * proxy), else the address the browser used, with the path the host is mounted under. Used
 * for `da login --server` and for links that are mailed or copied.
 */
export function serverUrl(portal: Pick<PortalContext, 'baseUrl'>, ctx: Context): string {
  return portal.baseUrl || `${ctx.protocol}://${ctx.host}${mountPrefix(ctx)}`;
}
