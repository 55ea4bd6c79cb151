// Who calls /mcp: a bearer token only, never the portal's cookie (a web page must not reach the
// tools with a signed-in person's session). A personal access token or a session JWT was already
// checked by the host's authenticate middleware (it reads the header first); an OAuth access
// token (aida_mcp_at_…) is looked up in the OAuth store, and works nowhere else.
import type { Context } from 'koa';
import type { RequestUser } from '@aida/core';
import { McpTokenRequiredError, TokenInvalidError } from '../errors.js';
import { ACCESS_TOKEN_PREFIX, type AidaOAuthProvider } from '../oauth/provider.js';

export interface McpCaller {
  user: RequestUser;
  token: string;
  via: 'session' | 'pat' | 'oauth';
  /** The OAuth client, for a token issued to one. */
  clientId?: string;
}

export async function mcpCaller(ctx: Context, oauth: AidaOAuthProvider | undefined): Promise<McpCaller> {
  const token = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
  if (!token) throw new McpTokenRequiredError();
  if (token.startsWith(ACCESS_TOKEN_PREFIX)) {
    if (!oauth) throw new TokenInvalidError('OAuth is switched off on this instance (mcp.oauth.enabled); use a personal access token');
    const owner = await oauth.owner(token);
    const u = owner.user;
    // Not a browser session: like a PAT, it cannot mint tokens or post portal forms.
    const user: RequestUser = { id: u.id, email: u.email, role: u.role, tokenType: 'pat', tokenId: owner.grant.id };
    return { user, token, via: 'oauth', clientId: owner.clientId };
  }
  const user = ctx.state.user;
  if (!user) throw ctx.state.authError ?? new TokenInvalidError('Invalid token');
  return { user, token, via: user.tokenType };
}
