import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { MemoryOAuthProvider } from './memory-oauth-provider.js';
import type { TestHost } from '@aida/host/testing';
import { browserSession, csrfOf, getPage, postForm } from '../portal/forms.js';
import { callTool, mcpHost } from './helpers.js';

/**
 * The SDK's own client-side OAuth (what Claude Code and other SDK-based agents run): it finds
 * the server from /mcp's 401, registers, sends the person to authorize, exchanges the code,
 * and refreshes on its own. The "browser" here signs in through the password form.
 */

let t: TestHost;

beforeAll(async () => {
  ({ t } = await mcpHost());
});
afterAll(() => t?.stop());

describe('the MCP SDK client connects through its own OAuth flow', () => {
  it('authorizes with a signed-in person, then calls tools, and refreshes by itself', async () => {
    const person = await t.asUser('analyst', { password: 'sdk-agent-owner-1' });
    const provider = new MemoryOAuthProvider('SDK agent');
    const url = new URL(`${t.url}/mcp`);
    const first = new Client({ name: 'sdk-agent', version: '1.0.0' });
    await expect(first.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }))).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.info?.client_id).toEqual(expect.any(String));
    expect(provider.authorizationUrl?.pathname).toBe('/oauth/authorize');
    expect(provider.authorizationUrl?.searchParams.get('code_challenge_method')).toBe('S256');

    // The person's browser: authorize → consent (after signing in) → back to the agent with a code.
    const { cookie } = await browserSession(t, { email: person.user.email, password: 'sdk-agent-owner-1' });
    const toConsent = await fetch(provider.authorizationUrl!, { redirect: 'manual' });
    const consent = new URL(toConsent.headers.get('location')!, t.url);
    const page = await getPage(t, `${consent.pathname}${consent.search}`, cookie);
    const approved = await postForm(t, '/oauth/consent', cookie, {
      _csrf: csrfOf(page.text),
      request: consent.searchParams.get('request')!,
      decision: 'approve',
    });
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;

    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await transport.finishAuth(code);
    expect(provider.saved?.access_token).toMatch(/^aida_mcp_at_/);
    const client = new Client({ name: 'sdk-agent', version: '1.0.0' });
    await client.connect(transport);
    expect((await callTool(client, 'query', { sql: 'SELECT count(*) AS n FROM customers' })).rows).toEqual([[37]]);
    await client.close();

    // An access token that no longer works: the SDK refreshes with the stored refresh token and carries on.
    const oldRefresh = provider.saved!.refresh_token;
    provider.saved = { ...provider.saved!, access_token: 'aida_mcp_at_expired-or-unknown' };
    const again = new Client({ name: 'sdk-agent', version: '1.0.0' });
    await again.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    expect(provider.saved.refresh_token).not.toBe(oldRefresh);
    expect((await callTool(again, 'list_tables')).total).toBeGreaterThan(0);
    await again.close();
  });
});
