import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import grantModule, { type GrantOptions, type GrantResponse, type GrantSession } from 'grant';
import createSession, { type CreateSessionOptions } from 'koa-session';
import { z } from 'zod';
import { mountPrefix, query } from '@aida/core';
import { safeEqual } from './oidc.js';

type KoaMiddleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;

// grant is CommonJS with `module.exports = grant`; under NodeNext TypeScript types the default
// import as the whole module object, so the handler factory needs a cast.
const grant = grantModule as unknown as { koa(options: GrantOptions): KoaMiddleware };

/**
 * What the provider sends back to the callback. Never a JSON 400: every failure must end on
 * the login page with a reason, so a parameter that is not one string reads as missing (and
 * `error` as the text it was).
 */
export const callbackQuery = z.object({
  state: z.string().optional().catch(undefined).meta({ description: 'The state of the pending sign-in, echoed by the provider' }),
  code: z.string().optional().catch(undefined).meta({ description: 'The authorization code to exchange' }),
  error: z
    .string()
    .optional()
    .catch(({ input }) => String(input))
    .meta({ description: 'Why the provider did not sign the user in (e.g. access_denied)' }),
});

/** Cookie that carries the pending sign-in (state, nonce, PKCE verifier) between login and callback. */
export const OAUTH_COOKIE = 'aida_google_oauth';
/** Where the pending sign-in keeps its `next` path, beside grant's own `grant` entry. */
const NEXT_KEY = 'aida_next';
/** How long a started sign-in stays valid. */
const PENDING_TTL_MS = 10 * 60_000;
const PROVIDER = 'google';

export interface OAuthFlowOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  authorizeUrl: string;
  tokenUrl: string;
  scope: readonly string[];
  /** Extra authorization parameters (`prompt`, `hd`). */
  authorizeParams?: Record<string, string>;
  /** Timeout of the token request. */
  timeoutMs?: number;
}

/** Tokens from a callback whose state matched, with the nonce the ID token must carry. */
export interface CallbackTokens {
  ok: true;
  idToken: string;
  accessToken: string | undefined;
  nonce: string;
  /** Where the sign-in was started for (`?next=` of the login), as stored with the state; checked again before any redirect. */
  next?: string;
}
export interface CallbackFailure {
  ok: false;
  /** Short code for `/login?error=<code>`. */
  code: string;
  /** For the log only; never shown to the user. */
  reason: string;
  /** The pending sign-in's `next`, when there was one: the login page offers it again. */
  next?: string;
}
export type CallbackResult = CallbackTokens | CallbackFailure;

interface PerMount {
  session: KoaMiddleware;
  grant: KoaMiddleware;
  /** koa-session's `ctx.session` accessors, laid over each request's context. */
  descriptors: PropertyDescriptorMap;
}

/**
 * The OAuth 2.0 / OpenID Connect dance, done by grant's koa handler behind koa-session.
 *
 * A plugin cannot add app-wide middleware, so both are composed inside the route handlers.
 * koa-session wants the Koa app: it checks `app.use`, emits events on the app, and installs
 * its `ctx.session` accessors on `app.context` — once per app, first options winning. Rather
 * than change the host's context prototype (and silently share options with anyone else who
 * uses koa-session there), each session middleware is created against a view of `ctx.app`
 * whose `context` is a private object, and its accessors are laid over the request's context
 * (`Object.create(ctx, accessors)`) only while grant runs. Everything else — cookies,
 * `ctx.state`, the response — is the request's own.
 *
 * The session lives in one cookie, sealed with AES-256-GCM under a key derived from the client
 * secret (so several instances behind a load balancer agree, and the host needs no `app.keys`),
 * HttpOnly, SameSite=Lax (sent on the provider's top-level redirect back), limited to the
 * plugin's path and to 10 minutes, and cleared by the callback whatever its outcome.
 */
export class OAuthFlow {
  private readonly byApp = new WeakMap<object, Map<string, PerMount>>();
  private readonly sealKey: Buffer;

  constructor(private readonly options: OAuthFlowOptions) {
    this.sealKey = Buffer.from(hkdfSync('sha256', options.clientSecret, 'aida:plugin-auth-google', 'oauth-session-cookie', 32));
  }

  /**
   * Login: grant stores a fresh state, nonce and PKCE verifier in the session and redirects to
   * the provider. `next` (already checked to be a same-origin path) is sealed in beside them,
   * so the callback knows where to land without trusting anything the provider echoes back.
   */
  async start(ctx: Context, next?: string): Promise<CallbackFailure | undefined> {
    const m = this.forRequest(ctx);
    const scoped = Object.create(ctx, m.descriptors) as Context;
    let failure: CallbackFailure | undefined;
    await m.session(scoped, async () => {
      await m.grant(scoped, async () => {
        // grant calls next() only when it did not redirect, i.e. it could not build the request.
        const error = (ctx.state.grant as { response?: GrantResponse } | undefined)?.response?.error;
        failure = { ok: false, code: 'provider_error', reason: `grant did not start the sign-in: ${describe(error)}` };
        scoped.session = null;
      });
      const pending = scoped.session?.grant as GrantSession | undefined;
      if (pending) {
        // grant keeps the login query as "dynamic" overrides; they are never honoured here, so don't carry them.
        delete pending.dynamic;
        delete pending.override;
        if (next !== undefined && scoped.session) scoped.session[NEXT_KEY] = next;
      }
    });
    delete ctx.state.grant;
    return failure;
  }

  /**
   * Callback: checks there is a pending sign-in and that `state` matches it, then lets grant
   * exchange the code (grant re-checks state, checks `aud` and `nonce` of the ID token). The
   * pending sign-in is consumed in every case.
   */
  async finish(ctx: Context): Promise<CallbackResult> {
    const m = this.forRequest(ctx);
    const scoped = Object.create(ctx, m.descriptors) as Context;
    let result: CallbackResult = fail('session_expired', 'no pending sign-in');
    await m.session(scoped, async () => {
      const next: unknown = scoped.session?.[NEXT_KEY];
      try {
        result = await this.exchange(ctx, scoped, m.grant);
        if (typeof next === 'string') result.next = next;
      } finally {
        scoped.session = null;
      }
    });
    delete ctx.state.grant;
    return result;
  }

  private async exchange(ctx: Context, scoped: Context, grantMw: KoaMiddleware): Promise<CallbackResult> {
    const pending = scoped.session?.grant as GrantSession | undefined;
    if (pending?.provider !== PROVIDER || typeof pending.state !== 'string' || typeof pending.nonce !== 'string') {
      return fail('session_expired', 'no pending sign-in: the OAuth cookie is missing, expired or was not sent');
    }
    const q = query(ctx, callbackQuery);
    if (typeof q.state !== 'string' || !safeEqual(q.state, pending.state)) {
      return fail('state_mismatch', 'the state parameter does not match the pending sign-in');
    }
    if (q.error !== undefined) {
      const error = String(q.error);
      return fail(error === 'access_denied' ? 'access_denied' : 'provider_error', `the provider answered error=${error.slice(0, 100)}`);
    }
    if (typeof q.code !== 'string' || !q.code) return fail('missing_code', 'the callback carries no authorization code');

    let reached = false;
    await grantMw(scoped, async () => {
      reached = true;
    });
    const response = (ctx.state.grant as { response?: GrantResponse } | undefined)?.response;
    if (!reached || !response) return fail('provider_error', 'grant did not complete the callback');
    if (response.error !== undefined) {
      const error = describe(response.error);
      if (/nonce mismatch/i.test(error)) return fail('nonce_mismatch', error);
      if (/id_token/i.test(error)) return fail('invalid_id_token', error);
      return fail('token_exchange_failed', `the token request failed: ${error}`);
    }
    if (typeof response.id_token !== 'string') return fail('token_exchange_failed', 'the token response has no id_token');
    return { ok: true, idToken: response.id_token, accessToken: response.access_token, nonce: pending.nonce };
  }

  private forRequest(ctx: Context): PerMount {
    const mount = mountOf(ctx);
    let mounts = this.byApp.get(ctx.app);
    if (!mounts) this.byApp.set(ctx.app, (mounts = new Map()));
    let m = mounts.get(mount);
    if (!m) {
      m = this.create(ctx, mount);
      if (mounts.size < 16) mounts.set(mount, m);
    }
    return m;
  }

  private create(ctx: Context, mount: string): PerMount {
    const o = this.options;
    const sessionContext = {};
    const app = Object.create(ctx.app, { context: { value: sessionContext } }) as unknown;
    const sessionOptions: CreateSessionOptions & { path: string; sameSite: 'lax' } = {
      key: OAUTH_COOKIE,
      maxAge: PENDING_TTL_MS,
      httpOnly: true,
      sameSite: 'lax',
      signed: false, // sealed by encode/decode instead, so the host needs no app.keys
      overwrite: true,
      rolling: false,
      renew: false,
      path: `${mount}/auth/google`,
      encode: (data: Record<string, unknown>) => this.seal(data),
      decode: (value: string) => this.open(value),
    };
    const session = createSession(sessionOptions, app) as KoaMiddleware;
    const grantMw = grant.koa({
      config: {
        defaults: {
          // grant routes /<prefix>/:provider/:override; ours are /auth/google/login and /auth/google/callback.
          prefix: `${escapeRegExp(mount)}/auth`,
          transport: 'state',
          state: true,
          nonce: true,
          pkce: true,
          response: ['tokens'],
        },
        google: {
          client_id: o.clientId,
          client_secret: o.clientSecret,
          authorize_url: o.authorizeUrl,
          access_url: o.tokenUrl,
          redirect_uri: o.redirectUri,
          scope: [...o.scope],
          custom_params: o.authorizeParams,
        },
      },
      request: { timeout: o.timeoutMs ?? 10_000 },
    });
    return { session, grant: grantMw, descriptors: Object.getOwnPropertyDescriptors(sessionContext) };
  }

  private seal(data: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    cipher.setAAD(Buffer.from(OAUTH_COOKIE));
    const body = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** null (koa-session then starts an empty session) for anything not sealed by us. */
  private open(value: string): Record<string, unknown> | null {
    try {
      const raw = Buffer.from(value, 'base64url');
      if (raw.length < 29) return null;
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(OAUTH_COOKIE));
      decipher.setAuthTag(raw.subarray(12, 28));
      const json = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const data = JSON.parse(json) as unknown;
      return data && typeof data === 'object' ? (data as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
}

/** Where the host is mounted (core's `mountPrefix`), under the name the routes use. */
export const mountOf = (ctx: Context): string => mountPrefix(ctx);

function fail(code: string, reason: string): CallbackFailure {
  return { ok: false, code, reason };
}

function describe(error: unknown): string {
  if (error === undefined || error === null) return 'unknown error';
  if (typeof error === 'string') return error.slice(0, 300);
  try {
    return JSON.stringify(error).slice(0, 300);
  } catch {
    return String(error).slice(0, 300);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
