import type { AuthenticationError, Role } from '@aida/core';

/** The authenticated caller; set by the authentication middleware (identity issue #3). */
export interface RequestUser {
  id: string;
  email: string;
  role: Role;
  /** How the caller authenticated: a session (sign-in) or a personal access token. */
  tokenType: 'session' | 'pat';
  tokenId: string;
}

declare module 'koa' {
  interface DefaultState {
    requestId: string;
    user?: RequestUser;
    /** Why a presented token was not accepted; the guard reports it on protected routes. */
    authError?: AuthenticationError;
  }
  interface DefaultContext {
    /** Renders a nunjucks template into the response body as HTML. */
    render(view: string, data?: Record<string, unknown>): Promise<void>;
  }
}
