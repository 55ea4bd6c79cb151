import type { AuthenticationError } from '@aida/core';

/** The authenticated caller: declared in @aida/core (plugins' routes and pages read it too). */
export type { RequestUser } from '@aida/core';

declare module 'koa' {
  interface DefaultState {
    requestId: string;
    /** Why a presented token was not accepted; the guard reports it on protected routes. */
    authError?: AuthenticationError;
  }
}
