import type { Middleware } from 'koa';

/**
 * Scripts and styles only from the host's own origin (no inline code, so an injected
 * `<script>` does not run), no framing, and forms that post only back to the host.
 */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
};

/**
 * Security headers on every HTML answer, error pages included: set after the rest of the
 * pipeline ran, so it sees the final content type. JSON and file answers are left alone.
 */
export function pageSecurityHeaders(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      if (ctx.response.is('html')) {
        for (const [name, value] of Object.entries(PAGE_HEADERS)) {
          // A route's own, stricter choice stands (the magic-link route sends no-referrer: its URL holds a token).
          if (!ctx.response.get(name)) ctx.set(name, value);
        }
      }
    }
  };
}
