// The consent step of the authorization: a portal page in the layout. A person who is not signed
// in is sent to /login and back (any installed provider: password, Google, email link), then
// approves or denies; approving issues the authorization code and sends the browser back to the
// agent's redirect URI.
import type { Context } from 'koa';
import { z } from 'zod';
import { body, query, ROLES, type RouteDefinition } from '@aida/core';
import { OAuthRequestUnknownError } from '../errors.js';
import { CONTENT_SECURITY_POLICY } from '../portal/headers.js';
import type { AidaOAuthProvider } from './provider.js';
import type { OAuthStore } from './store.js';

const pageQuery = z.object({ request: z.string().min(1).max(200).meta({ description: 'The pending authorization request, as /oauth/authorize named it' }) });
const decisionBody = z.object({ request: z.string().min(1).max(200), decision: z.enum(['approve', 'deny']) });
const signedIn = { role: 'viewer' } as const;

export interface ConsentOptions {
  provider: AidaOAuthProvider;
  store: OAuthStore;
  /** Whether the memory plugin's knowledge tools are served (the page says what the agent may do). */
  hasKnowledge: () => boolean;
}

/**
 * The page's forms post back here, and the answer is a redirect to the agent's redirect URI:
 * browsers apply `form-action` to that redirect, so the page allows that one origin too.
 */
function allowRedirectTarget(ctx: Context, redirectUri: string): void {
  const u = new URL(redirectUri);
  const source = u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : u.protocol;
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY.replace("form-action 'self'", `form-action 'self' ${source}`));
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.href;
}

export function consentRoutes(o: ConsentOptions): RouteDefinition[] {
  /** The request and its client; `take` removes the request in the same statement (a second post of the page, on any host, finds nothing). */
  const pendingOf = async (id: string, take = false) => {
    const pending = take ? await o.provider.pending.take(id) : await o.provider.pending.get(id);
    const client = pending && (await o.store.findClient(pending.clientId));
    if (!pending || !client || client.revoked_at) throw new OAuthRequestUnknownError();
    return { pending, client };
  };
  return [
    {
      method: 'GET',
      path: '/oauth/consent',
      access: signedIn,
      summary: 'Consent page: approve or deny an agent that asks to use AIDA as you over MCP',
      tags: ['mcp'],
      input: { query: pageQuery },
      output: { media: ['text/html'], errors: { 400: 'The request is unknown or expired' } },
      async handler(ctx) {
        const { pending, client } = await pendingOf(query(ctx, pageQuery).request);
        const user = ctx.state.user!;
        allowRedirectTarget(ctx, pending.redirectUri);
        ctx.set('Cache-Control', 'no-store');
        await ctx.render('oauth/consent.njk', {
          title: 'Connect an agent',
          requestId: query(ctx, pageQuery).request,
          client: {
            id: client.client_id,
            name: client.client_name ?? 'An agent without a name',
            redirect: new URL(pending.redirectUri).host || pending.redirectUri,
          },
          canQuery: ROLES.indexOf(user.role) >= ROLES.indexOf('analyst'),
          hasKnowledge: o.hasKnowledge(),
        });
      },
    },
    {
      method: 'POST',
      path: '/oauth/consent',
      access: signedIn,
      summary: 'Consent form: approving sends the browser to the agent with an authorization code, denying with access_denied',
      tags: ['mcp'],
      input: { body: decisionBody, bodyTypes: ['form'] },
      output: {
        status: 303,
        description: "To the agent's redirect URI, with `code` and `state`, or `error=access_denied`",
        errors: { 400: 'The request is unknown or expired' },
      },
      async handler(ctx) {
        const b = body(ctx, decisionBody);
        const { pending } = await pendingOf(b.request, true);
        const target =
          b.decision === 'approve'
            ? withParams(pending.redirectUri, { code: await o.provider.approve(pending, ctx.state.user!.id), state: pending.state })
            : withParams(pending.redirectUri, { error: 'access_denied', error_description: 'The person declined to connect this agent', state: pending.state });
        ctx.status = 303;
        ctx.redirect(target);
      },
    },
  ];
}
