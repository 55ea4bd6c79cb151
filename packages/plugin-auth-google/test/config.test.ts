import { describe, expect, it } from 'vitest';
import { domainAllowed, googleConfigSchema, GOOGLE_ENDPOINTS, redirectUri } from '../src/config.js';

const base = { client_id: 'id.apps.googleusercontent.com', base_url: 'https://aida.example.com/' };

describe('google config', () => {
  it('defaults to Google endpoints and normalises base_url and domains', () => {
    process.env.AIDA_TEST_GOOGLE_SECRET = 's3cret';
    const c = googleConfigSchema.parse({ ...base, client_secret_env: 'AIDA_TEST_GOOGLE_SECRET', allowed_domains: ['@Example.COM'] });
    expect(c.authorize_url).toBe(GOOGLE_ENDPOINTS.authorize_url);
    expect(c.jwks_uri).toBe(GOOGLE_ENDPOINTS.jwks_uri);
    expect(c.issuer).toEqual(['https://accounts.google.com', 'accounts.google.com']);
    expect(c.allowed_domains).toEqual(['example.com']);
    expect(redirectUri(c)).toBe('https://aida.example.com/auth/google/callback');
    expect(c.client_secret).toBe('s3cret');
    expect(c).not.toHaveProperty('client_secret_env');
    expect(googleConfigSchema.parse({ ...base, client_secret: 'inline-secret' }).client_secret).toBe('inline-secret');
    expect(domainAllowed(c, 'a@EXAMPLE.com')).toBe(true);
    expect(domainAllowed(c, 'a@sub.example.com')).toBe(false);
    expect(domainAllowed({ ...c, allowed_domains: [] }, 'a@anything.org')).toBe(true);
  });

  it('reports a missing secret, an unset env var, both secrets, unknown keys and bad values', () => {
    const issues = (v: unknown) => googleConfigSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues(base).join()).toMatch(/client_secret_env: set client_secret_env/);
    expect(issues({ ...base, client_secret_env: 'AIDA_TEST_UNSET_VAR_X' }).join()).toMatch(/AIDA_TEST_UNSET_VAR_X is not set/);
    expect(issues({ ...base, client_secret: 'a', client_secret_env: 'AIDA_TEST_GOOGLE_SECRET' }).join()).toMatch(
      /client_secret: set either client_secret or client_secret_env, not both/,
    );
    expect(issues({ ...base, client_secret_env: 'not-a-name' }).join()).toMatch(
      /client_secret_env: must be the name of an environment variable such as GOOGLE_CLIENT_SECRET/,
    );
    expect(issues({ ...base, client_secret: 'a', scopes: ['x'] }).join()).toMatch(/scopes|Unrecognized/i);
    expect(issues({ ...base, client_secret: 'a', allowed_domains: ['not a domain'] }).join()).toMatch(/allowed_domains.0: must be a bare domain/);
    expect(issues({ ...base, client_secret: 'a', base_url: 'aida.example.com' }).join()).toMatch(/base_url: base_url must be an absolute/);
    expect(issues({ ...base, client_secret: 'a', token_url: 'ftp://x' }).join()).toMatch(/token_url/);
  });
});
