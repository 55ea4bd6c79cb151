import type { Role } from './routes.js';

/** The authenticated caller, as the host's authentication sets it on `ctx.state.user`. */
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
    /** Set for every authenticated request; a route with a role guard always has it. */
    user?: RequestUser;
  }
  interface DefaultContext {
    /**
     * Renders a nunjucks template in the portal's layout into the response as HTML. A plugin
     * names its own templates `<pluginId>/<file>.njk` (see ViewRegistry.addFolder).
     */
    render(view: string, data?: Record<string, unknown>): Promise<void>;
  }
}
