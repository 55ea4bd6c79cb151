import { z } from 'zod';

/** Google's real endpoints; each can be overridden (tests point them at a local OpenID server). */
export const GOOGLE_ENDPOINTS = {
  authorize_url: 'https://accounts.google.com/o/oauth2/v2/auth',
  token_url: 'https://oauth2.googleapis.com/token',
  userinfo_url: 'https://openidconnect.googleapis.com/v1/userinfo',
  jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs',
} as const;

/** Google signs ID tokens with either spelling of its issuer. */
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'] as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const httpUrl = (what: string, opts: { noQuery?: boolean } = {}) =>
  z.string().refine(
    (v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'https:' || u.protocol === 'http:') && !u.hash && !u.username && !u.password && !(opts.noQuery && u.search);
      } catch {
        return false;
      }
    },
    `${what} must be an absolute http(s) URL without credentials or #fragment${opts.noQuery ? ' or ?query' : ''}`,
  );

export const googleConfigSchema = z
  .strictObject({
    /** OAuth client id from the Google Cloud console ("…apps.googleusercontent.com"). */
    client_id: z.string().trim().min(1, 'set client_id to the OAuth client id from the Google Cloud console'),
    /** Name of the environment variable that holds the client secret (preferred). */
    client_secret_env: z.string().regex(ENV_NAME, 'must be an environment variable name such as GOOGLE_CLIENT_SECRET').optional(),
    /** The client secret itself (secret; prefer client_secret_env or `${ENV}` in the YAML). */
    client_secret: z.string().min(1, 'must not be empty').optional(),
    /** Email domains allowed to sign in; empty allows any verified Google account. */
    allowed_domains: z
      .array(
        z
          .string()
          .trim()
          .toLowerCase()
          .transform((d) => d.replace(/^@/, ''))
          .pipe(z.string().regex(DOMAIN, 'must be a bare domain such as example.com')),
      )
      .default([]),
    /** Public origin (and mount path, if any) of this instance; the redirect URI is `${base_url}/auth/google/callback`. */
    base_url: httpUrl('base_url', { noQuery: true }).transform((v) => v.replace(/\/+$/, '')),
    authorize_url: httpUrl('authorize_url').default(GOOGLE_ENDPOINTS.authorize_url),
    token_url: httpUrl('token_url').default(GOOGLE_ENDPOINTS.token_url),
    userinfo_url: httpUrl('userinfo_url').default(GOOGLE_ENDPOINTS.userinfo_url),
    jwks_uri: httpUrl('jwks_uri').default(GOOGLE_ENDPOINTS.jwks_uri),
    /** Expected `iss` of ID tokens: one value or a list. */
    issuer: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .default([...GOOGLE_ISSUERS]),
  })
  .superRefine((c, ctx) => {
    if (c.client_secret === undefined && c.client_secret_env === undefined) {
      ctx.addIssue({ code: 'custom', path: ['client_secret_env'], message: 'set client_secret_env to the name of the environment variable holding the OAuth client secret' });
    } else if (c.client_secret !== undefined && c.client_secret_env !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'set either client_secret or client_secret_env, not both' });
    } else if (c.client_secret_env !== undefined && !process.env[c.client_secret_env]) {
      ctx.addIssue({ code: 'custom', path: ['client_secret_env'], message: `environment variable ${c.client_secret_env} is not set (it must hold the OAuth client secret)` });
    }
  });

export type GoogleConfig = z.output<typeof googleConfigSchema>;

/** The client secret the config points at; read at init so it never travels in the config object. */
export function resolveClientSecret(config: GoogleConfig, env: NodeJS.ProcessEnv = process.env): string {
  const secret = config.client_secret ?? (config.client_secret_env ? env[config.client_secret_env] : undefined);
  if (!secret) {
    throw new Error(
      config.client_secret_env
        ? `google: environment variable ${config.client_secret_env} is not set (it must hold the OAuth client secret)`
        : 'google: no client secret configured (set client_secret_env)',
    );
  }
  return secret;
}

/** The redirect URI registered with Google for this instance. */
export function redirectUri(config: GoogleConfig): string {
  return `${config.base_url}/auth/google/callback`;
}

/** True when the address's domain may sign in (`allowed_domains` empty = any). */
export function domainAllowed(config: GoogleConfig, email: string): boolean {
  if (config.allowed_domains.length === 0) return true;
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  return config.allowed_domains.includes(email.slice(at + 1).toLowerCase());
}
