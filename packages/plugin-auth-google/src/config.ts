import { zSecret, zSecretEnv } from '@aida/core';
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
    client_secret_env: zSecretEnv({ example: 'GOOGLE_CLIENT_SECRET', holds: 'the OAuth client secret' }).optional(),
    /** The client secret itself (prefer client_secret_env or `${ENV}` in the YAML). */
    client_secret: zSecret().optional(),
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
    issuer: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default([...GOOGLE_ISSUERS]),
  })
  // One secret, from whichever field gave it: the rest of the plugin never asks which.
  .transform(({ client_secret_env, client_secret, ...c }, ctx) => {
    if (client_secret !== undefined && client_secret_env !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'set either client_secret or client_secret_env, not both' });
      return z.NEVER;
    }
    const secret = client_secret ?? client_secret_env;
    if (secret === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['client_secret_env'],
        message: 'set client_secret_env to the name of the environment variable holding the OAuth client secret',
      });
      return z.NEVER;
    }
    return { ...c, client_secret: secret };
  });

export type GoogleConfig = z.output<typeof googleConfigSchema>;

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
