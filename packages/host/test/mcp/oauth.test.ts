import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { browserSession, csrfOf, getPage, postForm } from '../portal/forms.js';
import { auditRows, callTool, mcpClient, mcpHost } from './helpers.js';

/** What a hosted agent does, step by step, with fetch: discovery, registration, authorization code + PKCE, tokens. */

let t: TestHost;
let admin: AuthenticatedFetch;
let person: AuthenticatedFetch;
const PASSWORD = 'agent-owner-password-1';
const REDIRECT = 'http://127.0.0.1:9/oauth/callback';

interface ServerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  registration_endpoint: string;
  revocation_endpoint: string;
  code_challenge_methods_supported: string[];
  grant_types_supported: string[];
}
let meta: ServerMetadata;

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

async function form(url: string, fields: Record<string, string>): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, json: await res.json() };
}

async function register(name: string, extra: Record<string, unknown> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(meta.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...extra,
    }),
  });
  return { status: res.status, json: await res.json() };
}

function authorizeUrl(clientId: string, challenge: string, extra: Record<string, string> = {}): string {
  const u = new URL(meta.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'state-123',
    scope: 'mcp',
    resource: `${t.url}/mcp`,
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

/** The browser part: authorize → consent page (signed in with `cookie`) → approve → back at the redirect URI. */
async function approve(clientId: string, challenge: string, cookie: string, decision: 'approve' | 'deny' = 'approve'): Promise<URL> {
  const start = await fetch(authorizeUrl(clientId, challenge), { redirect: 'manual' });
  expect(start.status).toBe(302);
  const consentPath = new URL(start.headers.get('location')!, t.url);
  const page = await getPage(t, `${consentPath.pathname}${consentPath.search}`, cookie);
  expect(page.status).toBe(200);
  const requestId = consentPath.searchParams.get('request')!;
  const answer = await postForm(t, '/oauth/consent', cookie, { _csrf: csrfOf(page.text), request: requestId, decision });
  expect(answer.status).toBe(303);
  return new URL(answer.headers.get('location')!);
}

/** A whole connection of a public client for `cookie`'s user: its id and first tokens. */
async function connect(cookie: string, name = 'Agent'): Promise<{ clientId: string; tokens: any }> {
  const clientId = (await register(name)).json.client_id as string;
  const { verifier, challenge } = pkce();
  const back = await approve(clientId, challenge, cookie);
  const tokens = await form(meta.token_endpoint, {
    grant_type: 'authorization_code',
    code: back.searchParams.get('code')!,
    code_verifier: verifier,
    client_id: clientId,
    redirect_uri: REDIRECT,
  });
  expect(tokens.status).toBe(200);
  return { clientId, tokens: tokens.json };
}

const mcpStatus = async (token: string) =>
  (
    await t.request('/mcp', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'agent', version: '1' } },
      }),
    })
  ).status;

let cookie: string;

beforeAll(async () => {
  ({ t, admin } = await mcpHost());
  person = await t.asUser('analyst', { password: PASSWORD });
  cookie = (await browserSession(t, { email: person.user.email, password: PASSWORD })).cookie;
});
afterAll(() => t?.stop());

describe('a hosted agent connects over OAuth 2.1', () => {
  it('finds the authorization server from /mcp’s 401 and both metadata documents', async () => {
    const challenge = (await fetch(`${t.url}/mcp`, { method: 'POST' })).headers.get('www-authenticate')!;
    const resourceUrl = /resource_metadata="([^"]+)"/.exec(challenge)![1]!;
    const resource = await (await fetch(resourceUrl)).json();
    expect(resource).toMatchObject({
      resource: `${t.url}/mcp`,
      authorization_servers: [`${t.url}/`],
      scopes_supported: ['mcp'],
      bearer_methods_supported: ['header'],
    });
    expect(await (await fetch(`${t.url}/.well-known/oauth-protected-resource/mcp`)).json()).toEqual(resource);
    meta = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as ServerMetadata;
    expect(meta).toMatchObject({
      issuer: resource.authorization_servers[0],
      authorization_endpoint: `${t.url}/oauth/authorize`,
      token_endpoint: `${t.url}/oauth/token`,
      registration_endpoint: `${t.url}/oauth/register`,
      revocation_endpoint: `${t.url}/oauth/revoke`,
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      response_types_supported: ['code'],
    });
  });

  it('registers a client dynamically (RFC 7591): a public one gets no secret, a confidential one a secret that never expires', async () => {
    const pub = await register('Public agent');
    expect(pub.status).toBe(201);
    expect(pub.json).toMatchObject({ client_name: 'Public agent', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
    expect(pub.json.client_secret).toBeUndefined();
    const conf = await register('Confidential agent', { token_endpoint_auth_method: 'client_secret_basic' });
    expect(conf.json).toMatchObject({ token_endpoint_auth_method: 'client_secret_post', client_secret_expires_at: 0 });
    expect(conf.json.client_secret).toEqual(expect.any(String));
    const bad = await register('Leaky agent', { redirect_uris: ['http://agent.example/callback'] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_client_metadata');
  });

  it('sends a signed-out person to the portal’s sign-in and back to the consent page', async () => {
    const clientId = (await register('Sign-in agent')).json.client_id;
    const start = await fetch(authorizeUrl(clientId, pkce().challenge), { redirect: 'manual' });
    const consent = new URL(start.headers.get('location')!, t.url);
    expect(consent.pathname).toBe('/oauth/consent');
    const anonymous = await getPage(t, `${consent.pathname}${consent.search}`);
    expect(anonymous.status).toBe(302);
    const login = new URL(anonymous.headers.get('location')!, t.url);
    expect(login.pathname).toBe('/login');
    const next = login.searchParams.get('next')!;
    expect(next).toBe(`${consent.pathname}${consent.search}`);
    // The password form of /login carries `next`; signing in there lands back on the consent page.
    const signedIn = await browserSession(t, { email: person.user.email, password: PASSWORD }, next);
    expect(signedIn.location).toBe(next);
    const page = await getPage(t, next, signedIn.cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Sign-in agent');
    expect(page.text).toContain(person.user.email);
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:9");
  });

  it('runs authorization code + PKCE S256, and the access token works on /mcp as the person who consented', async () => {
    const clientId = (await register('Claude on the web')).json.client_id;
    const { verifier, challenge } = pkce();
    const back = await approve(clientId, challenge, cookie);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('state-123');
    const code = back.searchParams.get('code')!;
    const wrong = await form(meta.token_endpoint, { grant_type: 'authorization_code', code, code_verifier: pkce().verifier, client_id: clientId });
    expect(wrong).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    const tokens = await form(meta.token_endpoint, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: REDIRECT,
      resource: `${t.url}/mcp`,
    });
    expect(tokens.status).toBe(200);
    expect(tokens.json).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'mcp',
      access_token: expect.stringMatching(/^aida_mcp_at_/),
      refresh_token: expect.any(String),
    });
    const again = await form(meta.token_endpoint, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId });
    expect(again).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });

    const c = await mcpClient(t, tokens.json.access_token);
    const rest = (await (await person('/api/catalog/tables')).json()) as { tables: { id: string }[] };
    expect((await callTool(c, 'list_tables')).tables.map((x: { id: string }) => x.id)).toEqual(rest.tables.map((x) => x.id));
    expect((await callTool(c, 'query', { sql: 'SELECT count(*) AS n FROM orders' })).rows).toEqual([[500]]);
    await c.close();
    expect((await auditRows(t, 'MCP query'))[0]).toMatchObject({ user_id: person.user.id, status: 200 });
    // Scoped to MCP: the rest of the API does not take it.
    expect((await t.request('/api/catalog/tables', { headers: { authorization: `Bearer ${tokens.json.access_token}` } })).status).toBe(401);
  });

  it('refuses the plain PKCE method and sends a denial back as access_denied', async () => {
    const clientId = (await register('Plain agent')).json.client_id;
    const plain = await fetch(authorizeUrl(clientId, 'a-plain-challenge-that-is-long-enough-1234567890', { code_challenge_method: 'plain' }), {
      redirect: 'manual',
    });
    const refused = new URL(plain.headers.get('location')!);
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    const denied = await approve(clientId, pkce().challenge, cookie, 'deny');
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('state-123');
    expect(denied.searchParams.get('code')).toBeNull();
  });

  it('rotates refresh tokens; a revoked token ends the connection and /mcp answers 401', async () => {
    const { clientId, tokens } = await connect(cookie);
    const refreshed = await form(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.refresh_token).not.toBe(tokens.refresh_token);
    expect(await mcpStatus(refreshed.json.access_token)).toBe(200);
    const revoked = await form(meta.revocation_endpoint, { token: refreshed.json.refresh_token, client_id: clientId });
    expect(revoked.status).toBe(200);
    expect(await mcpStatus(refreshed.json.access_token)).toBe(401);
    expect(await mcpStatus(tokens.access_token)).toBe(401);
    const after = await form(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token, client_id: clientId });
    expect(after).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
  });

  it('refuses a rotated refresh token used again, and revokes everything it was issued with (a copy was made)', async () => {
    const { clientId, tokens } = await connect(cookie);
    const refreshed = await form(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    expect(refreshed.status).toBe(200);
    const replay = await form(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    expect(replay).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    expect(await mcpStatus(refreshed.json.access_token)).toBe(401);
    const next = await form(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token, client_id: clientId });
    expect(next.status).toBe(400);
  });

  it('lets an admin list MCP clients with who connected them, and revoke one: its tokens stop working', async () => {
    const { clientId, tokens } = await connect(cookie, 'Agent to revoke');
    expect(await mcpStatus(tokens.access_token)).toBe(200);
    const list = (await (await admin('/api/admin/mcp-clients')).json()) as { clients: any[]; count: number };
    const listed = list.clients.find((c) => c.client_id === clientId);
    expect(listed).toMatchObject({ client_name: 'Agent to revoke', redirect_uris: [REDIRECT], confidential: false, revoked_at: null });
    expect(listed.users).toEqual([expect.objectContaining({ user_id: person.user.id, email: person.user.email })]);
    expect((await person('/api/admin/mcp-clients')).status).toBe(403);

    const del = await admin(`/api/admin/mcp-clients/${clientId}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(await mcpStatus(tokens.access_token)).toBe(401);
    const refresh = await form(meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
    expect(refresh).toMatchObject({ status: 400, json: { error: 'invalid_client' } });
    expect((await admin('/api/admin/mcp-clients/no-such-client', { method: 'DELETE' })).status).toBe(404);

    const adminCookie = (await browserSession(t, { email: 'test-admin@example.com', password: 'test-admin-password-1' })).cookie;
    const page = await getPage(t, '/admin/mcp-clients', adminCookie);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(new RegExp(`data-client-id="${clientId}"[\\s\\S]*?revoked`));
    // The page's revoke form works too.
    const other = await connect(cookie, 'Agent revoked on the page');
    const posted = await postForm(t, `/admin/mcp-clients/${other.clientId}/revoke`, adminCookie, { _csrf: csrfOf(page.text) });
    expect(posted.status).toBe(303);
    expect(await mcpStatus(other.tokens.access_token)).toBe(401);
  });

  it('keeps clients and grants across a restart (the system database), and tokens keep working', async () => {
    const { tokens } = await connect(cookie, 'Agent across restarts');
    const { startTestHost } = await import('@aida/host/testing');
    const dataDir = t.dataDir;
    // A second host on the same data dir needs the first one stopped (one writer per DuckDB file).
    const keep = t;
    await keep.host.stop();
    const again = await startTestHost({ dataDir, config: { analytics: { profile_after_rebuild: false } } });
    const res = await again.request('/mcp', {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'agent', version: '1' } },
      }),
    });
    expect(res.status).toBe(200);
    await again.stop();
  });
});
