// /mcp: the MCP Streamable HTTP endpoint (the SDK's transport, protocol 2025-06-18 and newer),
// in the host's Koa pipeline after authentication and before the CSRF guard (it takes bearer
// tokens, never cookies). Every request is authenticated, its Origin checked, and bound to a
// session its caller owns; the transport gets Node's raw request and response and the body the
// host's parser already read. With the state on PostgreSQL (several hosts, no sticky routing)
// there are no sessions: the SDK's stateless mode, each request answered by a transport and
// server of its own on whichever host it reaches. Nothing the tools need lives in a session (a
// query's kept pages are in the system database, listing cursors name the listing's content).
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { IncomingMessage } from 'node:http';
import type { Context, Middleware } from 'koa';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { InputError, isAidaError, type RequestUser } from '@aida/core';
import { McpSessionUnknownError, MethodNotAllowedError } from '../errors.js';
import { baseUrlOf } from '../oauth/base-url.js';
import { PROTECTED_RESOURCE_PATH } from '../oauth/metadata.js';
import type { AidaOAuthProvider } from '../oauth/provider.js';
import { mcpCaller, type McpCaller } from './caller.js';
import { checkOrigin } from './origin.js';
import type { CallContext } from './server.js';
import type { McpSessions } from './sessions.js';

export const MCP_PATH = '/mcp';

export interface McpEndpointOptions {
  /** The sessions this process holds (state on DuckDB, one host); undefined for stateless Streamable HTTP. */
  sessions: McpSessions | undefined;
  /** A new session's server, for the caller's role. */
  newServer: (user: RequestUser) => McpServer;
  oauth: AidaOAuthProvider | undefined;
  baseUrl: string | undefined;
  allowedOrigins: readonly string[];
}

/** RFC 6750 / RFC 9728: where an agent finds out how to get a token. */
function challenge(base: string, invalid: boolean): string {
  return `Bearer resource_metadata="${base}${PROTECTED_RESOURCE_PATH}"${invalid ? ', error="invalid_token"' : ''}`;
}

export function mcpEndpoint(o: McpEndpointOptions): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== MCP_PATH && ctx.path !== `${MCP_PATH}/`) return next();
    const base = baseUrlOf(ctx, o.baseUrl);
    checkOrigin(ctx, base, o.allowedOrigins);
    let caller: McpCaller;
    try {
      caller = await mcpCaller(ctx, o.oauth);
    } catch (e) {
      if (isAidaError(e) && e.status === 401) ctx.set('WWW-Authenticate', challenge(base, Boolean(ctx.get('authorization'))));
      throw e;
    }
    // The request's audit row and log line name the caller, whichever token they came with.
    ctx.state.user = caller.user;
    if (ctx.method !== 'POST' && ctx.method !== 'DELETE') {
      // No server-to-client stream: every answer comes with its request (the spec allows 405 here).
      ctx.set('Allow', 'POST, DELETE');
      throw new MethodNotAllowedError(`${ctx.method} /mcp is not served: POST JSON-RPC messages, DELETE to end a session`);
    }
    const body: unknown = ctx.method === 'POST' ? ctx.request.body : undefined;
    const call: CallContext = { user: caller.user, requestId: ctx.state.requestId };
    const auth: AuthInfo = { token: caller.token, clientId: caller.clientId ?? caller.via, scopes: ['mcp'], extra: { aida: call } };
    (ctx.req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
    if (!o.sessions) return statelessRequest(ctx, o.newServer(caller.user), body);
    const sessionId = ctx.get('mcp-session-id');
    let transport;
    if (sessionId) {
      const session = o.sessions.get(sessionId, caller.user.id);
      if (!session) throw new McpSessionUnknownError(`No MCP session ${sessionId} of yours: it ended or expired; initialize a new one`);
      transport = session.transport;
    } else if (isInitializeRequest(body)) {
      transport = await o.sessions.open(caller.user.id, o.newServer(caller.user));
    } else {
      throw new InputError('No Mcp-Session-Id header: send initialize first to start a session');
    }
    ctx.respond = false;
    try {
      await transport.handleRequest(ctx.req, ctx.res, body);
    } finally {
      // An initialize the SDK refused left a transport no session holds.
      if (!sessionId && !transport.sessionId) await transport.close();
    }
  };
}

/**
 * One request of stateless Streamable HTTP: a transport (no session id) and a server for it
 * alone, closed once the answer is out (the SDK refuses to reuse a stateless transport).
 */
async function statelessRequest(ctx: Context, server: McpServer, body: unknown): Promise<void> {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  ctx.res.on('close', () => void server.close().catch(() => undefined));
  await server.connect(transport);
  ctx.respond = false;
  await transport.handleRequest(ctx.req, ctx.res, body);
}
