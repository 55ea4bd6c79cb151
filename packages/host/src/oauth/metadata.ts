// The two discovery documents a hosted agent reads before it connects: the protected resource
// (RFC 9728: /mcp, and which authorization server issues its tokens) and the authorization
// server (RFC 8414: its endpoints and what it supports). The SDK builds the latter; its
// endpoint URLs are moved under /oauth/ here, where the SDK's handlers are mounted.
import type { Context } from 'koa';
import { z } from 'zod';
import { createOAuthMetadata } from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { RouteDefinition } from '@aida/core';
import { OAuthNeedsHttpsError } from '../errors.js';
import { baseUrlOf } from './base-url.js';
import { OAUTH_ENDPOINTS } from './endpoints.js';
import { MCP_SCOPE, type AidaOAuthProvider } from './provider.js';

export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';
export const AUTHORIZATION_SERVER_PATH = '/.well-known/oauth-authorization-server';

const resourceSchema = z.looseObject({
  resource: z.string(),
  authorization_servers: z.array(z.string()).optional(),
  scopes_supported: z.array(z.string()),
  bearer_methods_supported: z.array(z.string()),
  resource_name: z.string(),
});
const serverSchema = z.looseObject({
  issuer: z.string(),
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  registration_endpoint: z.string().optional(),
  revocation_endpoint: z.string().optional(),
  code_challenge_methods_supported: z.array(z.string()),
});

export interface MetadataOptions {
  baseUrl: string | undefined;
  instanceName: string;
  /** Absent when OAuth is off: /mcp then takes personal access tokens and session tokens only. */
  provider: AidaOAuthProvider | undefined;
}

/** The authorization server metadata for this request's base URL (the issuer is that URL). */
export function authorizationServerMetadata(ctx: Context, o: MetadataOptions & { provider: AidaOAuthProvider }) {
  const base = baseUrlOf(ctx, o.baseUrl);
  let metadata: ReturnType<typeof createOAuthMetadata>;
  try {
    metadata = createOAuthMetadata({ provider: o.provider, issuerUrl: new URL(base), scopesSupported: [MCP_SCOPE] });
  } catch (e) {
    // The SDK refuses an http issuer other than localhost, as RFC 8414 asks.
    throw new OAuthNeedsHttpsError(`OAuth for hosted agents needs https: set instance.base_url to this instance's https URL (${(e as Error).message})`);
  }
  return {
    ...metadata,
    ...Object.fromEntries(Object.entries(OAUTH_ENDPOINTS).map(([field, path]) => [field, `${base}${path}`])),
    revocation_endpoint_auth_methods_supported: ['client_secret_post', 'none'],
  };
}

function json(ctx: Context, body: unknown): void {
  // Browser-based agents read discovery documents from another origin.
  ctx.set('Access-Control-Allow-Origin', '*');
  ctx.set('Cache-Control', 'public, max-age=300');
  ctx.body = body;
}

export function metadataRoutes(o: MetadataOptions): RouteDefinition[] {
  const resource = (ctx: Context) => {
    const base = baseUrlOf(ctx, o.baseUrl);
    json(ctx, {
      resource: `${base}/mcp`,
      // The issuer as the authorization server metadata names it (a URL's href: `https://host/`).
      ...(o.provider ? { authorization_servers: [new URL(base).href] } : {}),
      scopes_supported: [MCP_SCOPE],
      bearer_methods_supported: ['header'],
      resource_name: `${o.instanceName} (AIDA)`,
    });
  };
  const routes: RouteDefinition[] = [
    {
      method: 'GET',
      path: PROTECTED_RESOURCE_PATH,
      access: 'public',
      summary: 'OAuth protected resource metadata of /mcp (RFC 9728)',
      tags: ['mcp'],
      output: { body: resourceSchema },
      handler: resource,
    },
    {
      method: 'GET',
      path: `${PROTECTED_RESOURCE_PATH}/mcp`,
      access: 'public',
      summary: 'The same metadata at the path RFC 9728 derives from the /mcp URL',
      tags: ['mcp'],
      output: { body: resourceSchema },
      handler: resource,
    },
  ];
  const provider = o.provider;
  if (provider) {
    routes.push({
      method: 'GET',
      path: AUTHORIZATION_SERVER_PATH,
      access: 'public',
      summary: 'OAuth authorization server metadata (RFC 8414) for hosted MCP agents',
      tags: ['mcp'],
      output: { body: serverSchema, errors: { 503: 'Served over http on a host other than localhost: set instance.base_url' } },
      handler: (ctx) => json(ctx, authorizationServerMetadata(ctx, { ...o, provider })),
    });
  }
  return routes;
}
