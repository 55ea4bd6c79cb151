import {
  body,
  isAidaError,
  issuedSessionSchema,
  type IssuedSession,
  mountPrefix,
  type OneTimeTokens,
  query,
  type RateLimits,
  type RouteDefinition,
  safeNext,
  type SessionIssuer,
  type UserDirectory,
} from '@aida/core';
import { z } from 'zod';
import type { EmailConfig } from './config.js';
import { InvalidSignInLinkError } from './errors.js';
import { describeDuration, type LinkMailer } from './mailer.js';

type Ctx = Parameters<RouteDefinition['handler']>[0];

/** Purpose under which the host stores magic-link secrets. */
export const MAGIC_LINK_PURPOSE = 'magic-link';
/** Rate-limit buckets of the host: asking for links, and redeeming them (counted like any sign-in attempt). */
export const SEND_LINK_BUCKET = 'magic-link';
export const VERIFY_BUCKET = 'signin';

export const SEND_LINK_PATH = '/auth/email/send-link';
export const VERIFY_PATH = '/auth/email/verify';
export const INVALID_LINK_MESSAGE = 'This sign-in link is invalid, expired or already used';

export interface MagicLinkDeps {
  sessions: SessionIssuer;
  oneTimeTokens: OneTimeTokens;
  users: UserDirectory;
  rateLimits: RateLimits;
  mailer: LinkMailer;
  config: EmailConfig;
}

const NOT_AN_EMAIL = 'Enter a valid email address';
const emailField = z
  .string({ error: NOT_AN_EMAIL })
  .trim()
  .min(1, NOT_AN_EMAIL)
  .max(254)
  .pipe(z.email({ error: NOT_AN_EMAIL }));
/** Where to land after sign-in; anything but a same-origin path is dropped (never a 400: it is a convenience). */
const nextField = z
  .string()
  .max(2000)
  .optional()
  .catch(undefined)
  .transform((next) => sameOrigin(next))
  .meta({ description: 'Where to land after sign-in: a path on this host (anything else lands on /dashboard)' });
const sendLinkBody = z.object({ email: emailField, next: nextField });
const linkEmail = z.string().trim().min(1).max(254);
const linkToken = z.string().trim().min(1).max(512);
const verifyBody = z.object({ email: linkEmail, token: linkToken });
// A bad link must end on the login page, not in a JSON 400: a field that does not fit is read as missing.
const linkQuery = z.object({ email: linkEmail.optional().catch(undefined), token: linkToken.optional().catch(undefined), next: nextField });
const RATE_LIMITED = 'Too many attempts from this address or for this account; Retry-After says when to try again';

function accountKey(email: string): string {
  return `account:${email.toLowerCase()}`;
}

/** `next` when it is a same-origin path (core's `safeNext`), else undefined. */
function sameOrigin(next: string | undefined): string | undefined {
  return next !== undefined && safeNext(next) === next ? next : undefined;
}

/**
 * Where a signed-in browser lands: `next` as the login page gave it (a same-origin path that
 * already holds any mount prefix, as the host's own sign-in treats it), else the dashboard
 * under the mount.
 */
function landing(ctx: Ctx, next: string | undefined): string {
  const target = safeNext(next);
  return target === next ? target : `${mountPrefix(ctx)}${target}`;
}

/**
 * The link in the mail: `<base>/auth/email/verify?email=…&token=…`, and `&next=…` when the
 * sign-in was asked for from a page. `next` needs no protection in the link: whoever holds the
 * link holds the token already, and verify checks `next` again before redirecting.
 */
export function buildLink(base: string, email: string, token: string, next?: string): string {
  const params = new URLSearchParams({ email, token });
  const safe = sameOrigin(next);
  if (safe) params.set('next', safe);
  return `${base.replace(/\/+$/, '')}${VERIFY_PATH}?${params.toString()}`;
}

function linkSentPage(message: string, loginHref: string): string {
  const text = message.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Check your email</title></head>
<body><main><h1>Check your email</h1><p>${text}</p><p><a href="${loginHref}">Back to sign-in</a></p></main></body></html>
`;
}

/** The provider's routes: send a link, and verify it (JSON for clients, GET for the link in the mail). */
export function magicLinkRoutes(deps: MagicLinkDeps): RouteDefinition[] {
  const { sessions, oneTimeTokens, users, rateLimits, mailer, config } = deps;
  const sentMessage = `If an account exists for that address, a sign-in link is on its way. It is valid for ${describeDuration(config.link_ttl)} and works once.`;

  /** Consumes the secret and asks the host for a session; null when the link is no good. */
  async function redeem(ctx: Ctx, email: string, token: string): Promise<IssuedSession | null> {
    rateLimits.hit(VERIFY_BUCKET, [`ip:${ctx.ip}`, accountKey(email)]);
    if (!(await oneTimeTokens.consume(MAGIC_LINK_PURPOSE, email, token))) return null;
    // The host refuses unknown and deactivated users here, with an AuthenticationError.
    return sessions.signIn({ email, provider: 'email' });
  }

  return [
    {
      method: 'POST',
      path: SEND_LINK_PATH,
      access: 'public',
      summary: 'Mail a single-use sign-in link to an existing account (same answer whether or not it exists)',
      input: { body: sendLinkBody, bodyTypes: ['json', 'form'] },
      output: {
        body: z.object({ message: z.string() }),
        media: ['text/html'],
        description: 'Always the same message (an HTML page for a browser form)',
        errors: { 429: RATE_LIMITED },
      },
      async handler(ctx) {
        const { email, next } = body(ctx, sendLinkBody);
        rateLimits.hit(SEND_LINK_BUCKET, [`ip:${ctx.ip}`, accountKey(email)]);
        const user = await users.findByEmail(email);
        if (user?.active) {
          // Koa 3's ctx.origin is the Origin header, so the fallback is built from protocol and Host.
          const base = config.base_url ?? `${ctx.protocol}://${ctx.host}`;
          // Issuing and mailing happen after the answer: the answer takes the same time and
          // says the same thing whether or not a mail goes out, and a slow or failing SMTP
          // server never shows through to the caller.
          mailer.inBackground(`sending a sign-in link to ${user.email}`, async () => {
            const token = await oneTimeTokens.issue(MAGIC_LINK_PURPOSE, user.email, config.link_ttl);
            await mailer.deliver(user.email, buildLink(base, user.email, token, next));
          });
        }
        ctx.status = 200;
        ctx.set('Cache-Control', 'no-store');
        if (ctx.accepts('json', 'html') === 'html') {
          ctx.type = 'text/html';
          ctx.body = linkSentPage(sentMessage, `${mountPrefix(ctx)}/login`);
        } else {
          ctx.body = { message: sentMessage };
        }
      },
    },
    {
      method: 'POST',
      path: VERIFY_PATH,
      access: 'public',
      summary: 'Exchange a sign-in link (email and token) for a session token',
      input: { body: verifyBody },
      output: { body: issuedSessionSchema, errors: { 429: RATE_LIMITED }, throws: [InvalidSignInLinkError] },
      async handler(ctx) {
        const { email, token } = body(ctx, verifyBody);
        ctx.set('Cache-Control', 'no-store');
        const session = await redeem(ctx, email, token);
        if (!session) throw new InvalidSignInLinkError(INVALID_LINK_MESSAGE);
        ctx.status = 200;
        ctx.body = session;
      },
    },
    {
      method: 'GET',
      path: VERIFY_PATH,
      access: 'public',
      summary: 'The link in the sign-in mail: sets the session cookie and redirects to the page it was asked for, or the dashboard',
      input: { query: linkQuery },
      output: { status: 302, description: 'To `next` (a same-origin path) or /dashboard when signed in, else to /login?error=invalid_link' },
      async handler(ctx) {
        // The token is in this URL: keep it out of caches and of the Referer of the next page.
        ctx.set('Cache-Control', 'no-store');
        ctx.set('Referrer-Policy', 'no-referrer');
        const { email, token, next } = query(ctx, linkQuery);
        let session: IssuedSession | null = null;
        if (email && token) {
          try {
            session = await redeem(ctx, email, token);
          } catch (e) {
            // A refused sign-in (deactivated user) ends like a bad link; anything else is a real error.
            if (!(isAidaError(e) && e.status === 401)) throw e;
          }
        }
        if (!session) {
          // The login page keeps `next`, so a fresh link asked for there still lands on that page.
          ctx.redirect(`${mountPrefix(ctx)}/login?error=invalid_link${next ? `&next=${encodeURIComponent(next)}` : ''}`);
          return;
        }
        sessions.setSessionCookie(ctx, session);
        ctx.redirect(landing(ctx, next));
      },
    },
  ];
}
