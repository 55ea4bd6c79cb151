import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteDefinition } from '@aida/core';

/**
 * The portal's stylesheet and script, served from the host's own origin (the CSP allows no
 * other, and the portal must work on a closed network). The stylesheet is the host's
 * `assets/css/*.css` parts in name order; an instance's views folder may replace one part
 * (`assets/css/<part>.css`) or the whole (`assets/portal.css`). Pages link both as
 * `?v=<hash>`, so they can be cached for a year and still change with the files.
 */
export function portalAssets(hostViews: string, overrideDir?: string): { version: string; routes: RouteDefinition[] } {
  const css = stylesheet(hostViews, overrideDir);
  const js = readFileSync(pick(hostViews, overrideDir, 'portal.js'));
  const version = createHash('sha256').update(css).update(js).digest('hex').slice(0, 12);
  const asset = (path: string, type: string, content: Buffer, summary: string): RouteDefinition => ({
    method: 'GET',
    path,
    access: 'public',
    summary,
    output: { media: [type] },
    handler(ctx) {
      ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
      ctx.type = type;
      ctx.body = content;
    },
  });
  return {
    version,
    routes: [
      asset('/assets/portal.css', 'text/css', css, "The portal's stylesheet"),
      asset('/assets/portal.js', 'text/javascript', js, "The portal's script: copy buttons and confirmations; every page works without it"),
    ],
  };
}

function pick(hostViews: string, overrideDir: string | undefined, name: string): string {
  const own = overrideDir && join(overrideDir, 'assets', name);
  return own && existsSync(own) ? own : join(hostViews, 'assets', name);
}

function stylesheet(hostViews: string, overrideDir: string | undefined): Buffer {
  const whole = overrideDir && join(overrideDir, 'assets', 'portal.css');
  if (whole && existsSync(whole)) return readFileSync(whole);
  const parts = readdirSync(join(hostViews, 'assets', 'css'))
    .filter((f) => f.endsWith('.css'))
    .sort();
  return Buffer.concat(parts.map((part) => readFileSync(pick(hostViews, overrideDir, join('css', part)))));
}
