// The Origin check the MCP transport spec asks for (DNS rebinding): a request without an Origin
// header (every agent that is not a browser page) passes; a browser page passes only from the
// instance's own origin or one listed in mcp.allowed_origins.
import type { Context } from 'koa';
import { McpOriginRefusedError } from '../errors.js';

export function checkOrigin(ctx: Context, baseUrl: string, allowed: readonly string[]): void {
  const origin = ctx.get('origin');
  if (!origin) return;
  const own = new URL(baseUrl).origin;
  if (origin === own || allowed.some((a) => new URL(a).origin === origin)) return;
  throw new McpOriginRefusedError(`Requests to /mcp from ${origin} are not allowed: only from ${own} or an origin in mcp.allowed_origins`, {
    detail: { origin },
  });
}
