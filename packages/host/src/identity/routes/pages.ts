import type { Context } from 'koa';
import { z } from 'zod';
import type { AuthProvider, RouteDefinition } from '@aida/core';
import { query, safeNext } from '@aida/core';
import type { Identity } from '../identity.js';
import { normalizeEmail } from '../users.js';

const ERRORS: Record<string, string> = {
  invalid_credentials: 'Incorrect email or password.',
  too_many_attempts: 'Too many attempts. Wait a minute and try again.',
  domain_not_allowed: 'Your email domain is not allowed to sign in here.',
  invalid_link: 'This sign-in link is invalid, expired or already used.',
};

/** The login page (one entry per registered provider); the password setup page is `setupPageRoutes`. */
export function pageRoutes(providers: () => readonly AuthProvider[]): RouteDefinition[] {
  const login: RouteDefinition['handler'] = async (ctx) => {
    const code = typeof ctx.query.error === 'string' ? ctx.query.error : undefined;
    // Only a same-origin path is carried on to the form: the sign-in route checks it again.
    const next = typeof ctx.query.next === 'string' && safeNext(ctx.query.next) === ctx.query.next ? ctx.query.next : undefined;
    await ctx.render('login.njk', { title: 'Sign in', providers: providers(), next, error: code ? (ERRORS[code] ?? 'Sign-in failed. Try again.') : undefined });
  };
  return [
    { method: 'GET', path: '/login', access: 'public', handler: login },
    { method: 'GET', path: '/login/password', access: 'public', handler: login },
  ];
}

/** Why a setup link cannot be used: `unknown` also covers a wrong secret and a link replaced by a newer one. */
export type SetupLinkProblem = 'expired' | 'used' | 'unknown';

/** What is wrong with a setup link, without redeeming it; undefined when it would work (see `DbOneTimeTokens.check`). */
export async function setupLinkProblem(id: Identity, email: string, token: string): Promise<SetupLinkProblem | undefined> {
  const subject = emailOrUndefined(email);
  if (!subject || !id.users.byEmail(subject)) return 'unknown';
  const state = await id.oneTimeTokens.check('password-setup', subject, token);
  return state === 'valid' ? undefined : state;
}

/** A link with a mangled email address is simply not a link we know. */
function emailOrUndefined(email: string): string | undefined {
  try {
    return normalizeEmail(email);
  } catch {
    return undefined;
  }
}

/**
 * The page for a setup link that cannot be used, in words: 410 Gone for a link that was
 * good once (expired or used), 404 for one the store does not know.
 */
export async function renderSetupLinkProblem(ctx: Context, problem: SetupLinkProblem): Promise<void> {
  await ctx.render('setup.njk', { title: 'Setup link not valid', problem });
  // Rendering set 200.
  ctx.status = problem === 'unknown' ? 404 : 410;
}

const setupQuery = z.object({ email: z.coerce.string().default(''), token: z.coerce.string().default('') });

/** The password setup page an invite or reset link opens: the form, or why the link is no good. */
export function setupPageRoutes(id: Identity): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/login/setup',
      access: 'public',
      summary: 'Password setup page of an invite or reset link (checked, not redeemed)',
      input: { query: setupQuery },
      output: { media: ['text/html'], description: 'The form; 410 for an expired or used link, 404 for an unknown one (a page saying so)' },
      async handler(ctx) {
        const { email, token } = query(ctx, setupQuery);
        // The URL holds a secret: no cache may keep the page.
        ctx.set('Cache-Control', 'no-store');
        const problem = await setupLinkProblem(id, email, token);
        if (problem) return renderSetupLinkProblem(ctx, problem);
        await ctx.render('setup.njk', { title: 'Set your password', email, token });
      },
    },
  ];
}

/** Password sign-in is built in; it appears on the login page like any provider plugin. */
export const PASSWORD_PROVIDER = {
  id: 'password',
  login: {
    label: 'Sign in',
    form: {
      action: '/auth/password/login/web',
      fields: [
        { name: 'email', type: 'email' as const, label: 'Email' },
        { name: 'password', type: 'password' as const, label: 'Password' },
      ],
    },
  },
  routes: [],
};
