import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteDefinition } from '@aida/core';

/**
 * The portal's stylesheet, served from the host's own origin (the CSP allows no other). An
 * instance's views folder may replace it with `assets/portal.css`. Pages link it as
 * `?v=<hash>`, so it can be cached for a year and still change with the file.
 */
export function portalAssets(hostViews: string, overrideDir?: string): { version: string; routes: RouteDefinition[] } {
  const file = [overrideDir, hostViews]
    .filter((d): d is string => Boolean(d))
    .map((d) => join(d, 'assets', 'portal.css'))
    .find((f) => existsSync(f))!;
  const css = readFileSync(file);
  const version = createHash('sha256').update(css).digest('hex').slice(0, 12);
  return {
    version,
    routes: [
      {
        method: 'GET',
        path: '/assets/portal.css',
        access: 'public',
        summary: "The portal's stylesheet",
        output: { media: ['text/css'], description: 'The stylesheet every page links' },
        handler(ctx) {
          ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
          ctx.type = 'text/css';
          ctx.body = css;
        },
      },
    ],
  };
}
