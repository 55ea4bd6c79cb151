// Two hosts of one instance (different data dirs, one PostgreSQL schema) behind a balancer that
// does not stick an agent to a host: every step of the OAuth flow and every /mcp request may
// reach either, and the agent cannot tell.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryOAuthProvider } from '../mcp/memory-oauth-provider.js';
import { MCP_RESULT_BUDGET_CHARS } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { AidaOAuthProvider } from '../../src/oauth/provider.js';
import { OAuthStore } from '../../src/oauth/store.js';
import { dropTestSchema, TEST_POSTGRES_URL } from '../../src/testing/test-state.js';
import { browserSession, csrfOf, getPage, postForm } from '../portal/forms.js';
import { callTool, ORDERS_SQL, writeTables } from '../mcp/helpers.js';

const schema = `aida_t_mcp_${randomBytes(6).toString('hex')}`;
const PASSWORD = 'cross-host-agent-owner-1';
const REDIRECT = 'http://127.0.0.1:9/oauth/callback';

/** A balancer without sticky routing: request n goes to host n mod 2, whoever sends it. */
class RoundRobin {
  targets: string[] = [];
  /** Which host served each request, with its method and path. */
  readonly served: { host: number; method: string; path: string }[] = [];
  private next = 0;
  private readonly server: Server = createServer((req, res) => {
    const host = this.next++ % this.targets.length;
    this.served.push({ host, method: req.method!, path: req.url! });
    const target = new URL(this.targets[host]!);
    // The Host header stays the balancer's, as a reverse proxy keeps it.
    const upstream = request({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (e) => res.writeHead(502).end(String(e)));
    req.pipe(upstream);
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const balancer = new RoundRobin();
let base: string;
let a: TestHost;
let b: TestHost;
let email: string;

/** The browser's requests to one host (or the balancer), for the portal form helpers. */
const at = (url: string) => ({ url, request: (path: string, init?: RequestInit) => fetch(`${url}${path}`, init) }) as unknown as TestHost;

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

async function form(host: TestHost, path: string, fields: Record<string, string>): Promise<{ status: number; json: any }> {
  const res = await host.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, json: await res.json() };
}

/** A JSON-RPC request to /mcp as an agent without the SDK sends one (stateless: no session id). */
async function mcpCall(host: TestHost, token: string, method: string, params: Record<string, unknown> = {}): Promise<{ status: number; json: any }> {
  const res = await host.request('/mcp', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return { status: res.status, json: res.status === 200 ? await res.json() : await res.text() };
}

beforeAll(async () => {
  base = await balancer.listen();
  // The public URL both hosts serve under is the balancer's: the issuer, endpoints and /mcp resource are the same on either.
  const config = {
    state: { backend: 'postgres', url: TEST_POSTGRES_URL, schema },
    instance: { base_url: base },
    analytics: { profile_after_rebuild: false },
  };
  // One after the other: the first migrates the shared schema, the second finds it migrated.
  a = await startTestHost({ config });
  b = await startTestHost({ config });
  balancer.targets = [a.url, b.url];
  // Each host's own data dir gets the same tables (in production the hosts share one data dir).
  const tables = { orders: ORDERS_SQL, customers: `SELECT 'c' || range AS customer, 'Name ' || range AS name FROM range(37)` };
  await writeTables(a, 'shop', tables);
  await writeTables(b, 'shop', tables);
  await writeTables(a, 'big', { events: `SELECT range AS event_id, 'kind_' || (range % 5) AS kind, range * 0.25 AS weight FROM range(20000)` });
  await writeTables(b, 'big', { events: `SELECT range AS event_id, 'kind_' || (range % 5) AS kind, range * 0.25 AS weight FROM range(20000)` });
  email = (await a.asUser('analyst', { password: PASSWORD })).user.email;
}, 120_000);
afterAll(async () => {
  await balancer.close();
  await a?.stop();
  await b?.stop();
  await dropTestSchema(schema);
});

describe('a hosted agent on two hosts without sticky routing', () => {
  it('registers, authorizes with PKCE, consents, exchanges and refreshes with every step on the other host', async () => {
    const register = await a.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Step agent', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
    });
    expect(register.status).toBe(201);
    const clientId = ((await register.json()) as { client_id: string }).client_id;

    // Authorize on B, for a client A registered a moment ago.
    const { verifier, challenge } = pkce();
    const authorize = new URL(`${b.url}/oauth/authorize`);
    const params = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st-1',
      scope: 'mcp',
      resource: `${base}/mcp`,
    };
    for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
    const toConsent = await fetch(authorize, { redirect: 'manual' });
    expect(toConsent.status).toBe(302);
    const consent = new URL(toConsent.headers.get('location')!, base);

    // The consent page from A, the decision posted to B.
    const { cookie } = await browserSession(b, { email, password: PASSWORD });
    const page = await getPage(a, `${consent.pathname}${consent.search}`, cookie);
    expect(page.status).toBe(200);
    const request = consent.searchParams.get('request')!;
    const approved = await postForm(b, '/oauth/consent', cookie, { _csrf: csrfOf(page.text), request, decision: 'approve' });
    expect(approved.status).toBe(303);
    const back = new URL(approved.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('st-1');
    const code = back.searchParams.get('code')!;
    // The request was taken once: posting the page again, on A, finds nothing.
    expect((await postForm(a, '/oauth/consent', cookie, { _csrf: csrfOf(page.text), request, decision: 'approve' })).status).toBe(400);

    // The code B issued, exchanged on A; once only (the replay goes to B).
    const exchange = { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT };
    const tokens = await form(a, '/oauth/token', exchange);
    expect(tokens.status).toBe(200);
    expect((await form(b, '/oauth/token', exchange)).json.error).toBe('invalid_grant');

    // The access token A issued, used at once on B.
    const listed = await mcpCall(b, tokens.json.access_token as string, 'tools/list');
    expect(listed.status).toBe(200);
    expect((listed.json.result.tools as { name: string }[]).map((x) => x.name)).toContain('query');

    // Refreshed on B; the new access token works on A; the old refresh token replayed on A ends the grant everywhere.
    const refresh = { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string, client_id: clientId };
    const refreshed = await form(b, '/oauth/token', refresh);
    expect(refreshed.status).toBe(200);
    expect((await mcpCall(a, refreshed.json.access_token as string, 'tools/list')).status).toBe(200);
    expect((await form(a, '/oauth/token', refresh)).json.error).toBe('invalid_grant');
    expect((await mcpCall(a, refreshed.json.access_token as string, 'tools/list')).status).toBe(401);
  });

  it('the SDK client connects through the balancer, lists tools and pages a query result across both hosts', async () => {
    const provider = new MemoryOAuthProvider('Balanced agent', REDIRECT);
    const url = new URL(`${base}/mcp`);
    const first = new Client({ name: 'balanced-agent', version: '1.0.0' });
    await expect(first.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }))).rejects.toThrow();
    expect(provider.authorizationUrl?.origin).toBe(base);

    const browser = at(base);
    const { cookie } = await browserSession(browser, { email, password: PASSWORD });
    const toConsent = await fetch(provider.authorizationUrl!, { redirect: 'manual' });
    const consent = new URL(toConsent.headers.get('location')!, base);
    const page = await getPage(browser, `${consent.pathname}${consent.search}`, cookie);
    expect(page.status).toBe(200);
    const approved = await postForm(browser, '/oauth/consent', cookie, {
      _csrf: csrfOf(page.text),
      request: consent.searchParams.get('request')!,
      decision: 'approve',
    });
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;

    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await transport.finishAuth(code);
    const client = new Client({ name: 'balanced-agent', version: '1.0.0' });
    await client.connect(transport);
    expect((await client.listTools()).tools.map((x) => x.name)).toEqual(expect.arrayContaining(['list_tables', 'describe_table', 'query']));

    const before = balancer.served.length;
    const rows: unknown[][] = [];
    let result = await callTool(client, 'query', { sql: 'SELECT event_id, kind, weight FROM events ORDER BY event_id' });
    let pages = 1;
    for (;;) {
      expect(JSON.stringify(result).length).toBeLessThanOrEqual(MCP_RESULT_BUDGET_CHARS);
      expect(result.offset).toBe(rows.length);
      rows.push(...result.rows);
      if (!result.truncated) break;
      result = await callTool(client, 'query', { cursor: result.cursor });
      pages++;
    }
    expect(pages).toBeGreaterThan(3);
    expect(rows).toHaveLength(20_000);
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    // Consecutive pages came from alternating hosts: each cursor was read on the host that did not keep the result.
    const pageHosts = balancer.served.slice(before).filter((s) => s.path.startsWith('/mcp') && s.method === 'POST');
    expect(pageHosts).toHaveLength(pages);
    for (let i = 1; i < pageHosts.length; i++) expect(pageHosts[i]!.host).not.toBe(pageHosts[i - 1]!.host);

    // A listing cursor is good on the other host too.
    const tables = await callTool(client, 'list_tables');
    expect(tables.tables.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining(['orders', 'customers', 'events']));
    await client.close();
    expect(new Set(balancer.served.map((s) => s.host))).toEqual(new Set([0, 1]));
  });

  it('a host that has heard nothing of a client, grant or token (no change event yet) finds them in the database', async () => {
    // A second OAuth store on B's database that hears no change events: only the database can tell it.
    const deaf = await OAuthStore.open(b.host.systemDb!);
    const identity = b.host.identity!;
    const provider = new AidaOAuthProvider({
      store: deaf,
      db: b.host.systemDb!,
      users: identity.users,
      tokens: identity.tokens,
      accessTtlMs: 60_000,
      refreshTtlMs: 600_000,
      logger: b.host.logger,
    });
    const register = await a.request('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Fresh agent', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
    });
    const clientId = ((await register.json()) as { client_id: string }).client_id;
    expect(deaf.client(clientId)).toBeUndefined();
    expect((await provider.clientsStore.getClient(clientId))?.client_id).toBe(clientId);

    // A whole connection on A; B's deaf store then accepts its access token and exchanges its refresh token.
    const { verifier, challenge } = pkce();
    const authorize = new URL(`${a.url}/oauth/authorize`);
    const params = { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256' };
    for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
    const consent = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!, base);
    const { cookie } = await browserSession(a, { email, password: PASSWORD });
    const page = await getPage(a, `${consent.pathname}${consent.search}`, cookie);
    const approved = await postForm(a, '/oauth/consent', cookie, {
      _csrf: csrfOf(page.text),
      request: consent.searchParams.get('request')!,
      decision: 'approve',
    });
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
    const tokens = await form(a, '/oauth/token', {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: REDIRECT,
    });
    expect(tokens.status).toBe(200);

    const owner = await provider.owner(tokens.json.access_token as string);
    expect(owner.user.email).toBe(email);
    expect(owner.clientId).toBe(clientId);
    await expect(provider.owner('aida_mcp_at_not-one-we-issued')).rejects.toThrow(/Invalid token/);
    const client = (await provider.clientsStore.getClient(clientId))!;
    const refreshed = await provider.exchangeRefreshToken(client, tokens.json.refresh_token as string);
    expect(refreshed.access_token).toMatch(/^aida_mcp_at_/);
    // A exchanged nothing meanwhile, but B rotated it: replaying it on A is refused and ends the grant.
    expect(
      (await form(a, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string, client_id: clientId })).json.error,
    ).toBe('invalid_grant');
  });
});
