import { z } from 'zod';
import { body, issuedSessionSchema, param, query, type RouteDefinition, type RouteOutput } from '@aida/core';
import { PatCannotMintError, SetupTokenInvalidError } from '../../errors.js';
import { pagedSchema, pageOf, pageQuery } from '../../http/paging.js';
import type { Identity } from '../identity.js';
import { assertPasswordPolicy } from '../passwords.js';
import { patJson, PatRepository } from '../pats.js';
import { normalizeEmail, userJson } from '../users.js';
import type { RequestUser } from '../../http/context.js';
import { safeNext } from '@aida/core';
import { renderSetupLinkProblem, setupLinkProblem } from './pages.js';
import { createdPatSchema, patSchema, userSchema } from './schemas.js';

const credentials = z.object({ email: z.string().min(1), password: z.string().min(1) });
const bootstrapBody = z.object({ email: z.string(), name: z.string().optional(), password: z.string() });
const setupBody = z.object({ email: z.string(), token: z.string(), password: z.string() });
const patBody = z.object({ name: z.string().trim().min(1).max(100), expires_in_days: z.number().int().nullable().optional() });
// The form is read leniently: whatever is missing fails the sign-in, which redirects back to the form.
const webLoginBody = z.object({ email: z.coerce.string().default(''), password: z.coerce.string().default(''), next: z.coerce.string().optional() });
const listQuery = pageQuery();
const tokenParams = z.object({ id: z.string().meta({ description: 'The token id' }) });
const tokenList = pagedSchema('tokens', patSchema);
const ERROR_429 = 'Too many attempts from this address or for this account; Retry-After says when to try again';
const signInOutput: RouteOutput = {
  body: issuedSessionSchema,
  errors: { 401: 'Wrong email or password, or the account is deactivated (one message for all)', 429: ERROR_429 },
};

/** Mints a PAT for the caller: the API route and the portal's button share this rule. */
export function mintPat(id: Identity, caller: RequestUser, name: string, days: number | null | undefined) {
  if (caller.tokenType !== 'session') throw new PatCannotMintError('A personal access token cannot create tokens; sign in to create one');
  return id.createPat(caller.id, name, PatRepository.expiryFrom(days));
}

/** A browser posting the setup page's form (not a JSON client, nor a script posting a form). */
function fromSetupForm(ctx: { is(type: string): string | false | null; accepts(...types: string[]): string | false }): boolean {
  return Boolean(ctx.is('urlencoded')) && ctx.accepts('json', 'html') === 'html';
}

/** Password sign-in, bootstrap, setup, the current user, sign-out and personal access tokens (API.md, Auth). */
export function authRoutes(id: Identity): RouteDefinition[] {
  const limitSignIn = (ip: string, email: string) => id.rateLimits.hit('signin', [`ip:${ip}`, `account:${email.toLowerCase()}`]);
  const tokenLogin: RouteDefinition['handler'] = async (ctx) => {
    const { email, password } = body(ctx, credentials);
    limitSignIn(ctx.ip, email);
    ctx.body = await id.passwordSignIn(email, password);
  };
  return [
    {
      method: 'POST',
      path: '/auth/bootstrap',
      access: 'public',
      summary: 'Create the first admin and sign them in',
      input: { body: bootstrapBody },
      output: {
        status: 201,
        body: issuedSessionSchema.extend({ user: userSchema }),
        errors: { 403: 'The instance already has a user with a password', 429: ERROR_429 },
      },
      async handler(ctx) {
        id.rateLimits.hit('bootstrap', [`ip:${ctx.ip}`]);
        const b = body(ctx, bootstrapBody);
        const user = await id.bootstrap(b);
        ctx.status = 201;
        ctx.body = { ...id.sessions.sessionFor(user), user: userJson(user) };
      },
    },
    {
      method: 'POST',
      path: '/auth/token',
      access: 'public',
      summary: 'Sign in with email and password for a session token',
      input: { body: credentials },
      output: signInOutput,
      handler: tokenLogin,
    },
    {
      method: 'POST',
      path: '/auth/password/login',
      access: 'public',
      summary: 'Sign in with email and password for a session token (same as /auth/token)',
      input: { body: credentials },
      output: signInOutput,
      handler: tokenLogin,
    },
    {
      method: 'POST',
      path: '/auth/password/login/web',
      access: 'public',
      summary: 'The sign-in form: sets the session cookie and redirects to the dashboard',
      input: { body: webLoginBody, bodyTypes: ['form'] },
      output: { status: 302, description: 'To `next` (a same-origin path only) or /dashboard when signed in, else back to /login/password?error=…' },
      async handler(ctx) {
        const { email, password, next } = body(ctx, webLoginBody);
        try {
          limitSignIn(ctx.ip, email);
          const session = await id.passwordSignIn(email, password);
          id.sessions.setSessionCookie(ctx, session);
          ctx.redirect(safeNext(next));
        } catch (e) {
          const code = (e as { status?: number }).status === 429 ? 'too_many_attempts' : 'invalid_credentials';
          const back = next && safeNext(next) === next ? `&next=${encodeURIComponent(next)}` : '';
          ctx.redirect(`/login/password?error=${code}${back}`);
        }
      },
    },
    {
      method: 'POST',
      path: '/auth/password/setup',
      access: 'public',
      summary: 'Set a password with an invite or reset token, and sign in',
      input: { body: setupBody, bodyTypes: ['json', 'form'] },
      output: {
        body: issuedSessionSchema,
        description:
          'The session (a form post gets the cookie and a redirect to /dashboard instead; a browser form with a bad link gets a page saying so, 410 for an expired or used link, 404 for an unknown one)',
        errors: { 429: ERROR_429 },
      },
      async handler(ctx) {
        const b = body(ctx, setupBody);
        const email = normalizeEmail(b.email);
        id.rateLimits.hit('reset', [`ip:${ctx.ip}`, `account:${email}`]);
        assertPasswordPolicy(b.password);
        const user = id.users.byEmail(email);
        if (!user || !(await id.oneTimeTokens.consume('password-setup', email, b.token))) {
          // The setup page's form gets the page that says what is wrong with the link; JSON clients the error.
          if (fromSetupForm(ctx)) return renderSetupLinkProblem(ctx, (await setupLinkProblem(id, email, b.token)) ?? 'used');
          throw new SetupTokenInvalidError('This setup link is invalid, expired or already used');
        }
        await id.setPassword(user.id, b.password);
        const session = id.sessions.sessionFor(id.users.require(user.id));
        if (ctx.is('urlencoded')) {
          // The setup page's form: sign in and go on, as a browser expects.
          id.sessions.setSessionCookie(ctx, session);
          ctx.redirect('/dashboard');
        } else {
          ctx.body = session;
        }
      },
    },
    {
      method: 'GET',
      path: '/auth/me',
      access: { role: 'viewer' },
      summary: 'Who the caller is, and how they signed in',
      output: { body: userSchema.extend({ token_type: z.enum(['session', 'pat']) }) },
      handler(ctx) {
        ctx.body = { ...userJson(id.users.require(ctx.state.user!.id)), token_type: ctx.state.user!.tokenType };
      },
    },
    {
      method: 'POST',
      path: '/auth/logout',
      access: 'public',
      summary: 'Sign out: clears the session cookie',
      output: { status: 204, description: 'Signed out (a browser is redirected to /login instead)' },
      handler(ctx) {
        ctx.cookies.set('access_token', null);
        if (ctx.accepts('html', 'json') === 'html') ctx.redirect('/login');
        else ctx.status = 204;
      },
    },
    {
      method: 'POST',
      path: '/auth/tokens',
      access: { role: 'viewer' },
      summary: 'Create a personal access token (sessions only)',
      input: { body: patBody },
      output: { status: 201, body: createdPatSchema, errors: { 403: 'Called with a personal access token: only a session may create one' } },
      async handler(ctx) {
        const b = body(ctx, patBody);
        const created = await mintPat(id, ctx.state.user!, b.name, b.expires_in_days);
        ctx.status = 201;
        ctx.body = created;
      },
    },
    {
      method: 'GET',
      path: '/auth/tokens',
      access: { role: 'viewer' },
      summary: "The caller's personal access tokens",
      input: { query: listQuery },
      output: { body: tokenList },
      handler(ctx) {
        ctx.body = pageOf('tokens', id.pats.list(ctx.state.user!.id).map(patJson), query(ctx, listQuery));
      },
    },
    {
      method: 'GET',
      path: '/auth/tokens/:id',
      access: { role: 'viewer' },
      summary: 'One of the caller’s personal access tokens',
      input: { params: tokenParams },
      output: { body: patSchema, errors: { 404: 'No such token of yours' } },
      handler(ctx) {
        ctx.body = patJson(id.pats.get(param(ctx, tokenParams).id, ctx.state.user!.id));
      },
    },
    {
      method: 'DELETE',
      path: '/auth/tokens/:id',
      access: { role: 'viewer' },
      summary: 'Revoke one of your personal access tokens',
      input: { params: tokenParams },
      output: { status: 204, errors: { 404: 'No such token of yours' } },
      async handler(ctx) {
        await id.pats.revoke(param(ctx, tokenParams).id, ctx.state.user!.id);
        ctx.status = 204;
      },
    },
    {
      method: 'GET',
      path: '/auth/admin/tokens',
      access: { role: 'admin' },
      summary: "Every user's personal access tokens",
      input: { query: listQuery },
      output: { body: tokenList },
      handler(ctx) {
        ctx.body = pageOf('tokens', id.pats.list().map(patJson), query(ctx, listQuery));
      },
    },
    {
      method: 'DELETE',
      path: '/auth/admin/tokens/:id',
      access: { role: 'admin' },
      summary: "Revoke any user's personal access token",
      input: { params: tokenParams },
      output: { status: 204, errors: { 404: 'No such token' } },
      async handler(ctx) {
        await id.pats.revoke(param(ctx, tokenParams).id);
        ctx.status = 204;
      },
    },
  ];
}
