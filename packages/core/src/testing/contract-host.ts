import type { AidaHost } from '../contracts/host.js';
import type { Role } from '../contracts/routes.js';

/**
 * `fetch()` against a test host as one signed-in user: paths are relative to the host, the
 * bearer token is set, and a string body without a content-type is sent as JSON (the API's language).
 */
export interface AuthenticatedFetch {
  (path: string, init?: RequestInit): Promise<Response>;
  /** The session JWT the host issued at sign-in. */
  readonly token: string;
  readonly user: { readonly id: string; readonly email: string; readonly role: Role };
}

/**
 * A running host, as the contract suites drive it. `startTestHost` of `@aida/host/testing`
 * returns one; it is declared here so that core's suites need no dependency on the host.
 */
export interface ContractHost {
  readonly host: AidaHost;
  /** Base URL on loopback, without a trailing slash. */
  readonly url: string;
  readonly dataDir: string;
  /** `fetch()` against the host, unauthenticated. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** The host's first admin (bootstrapped through the API on the first call). */
  asAdmin(): Promise<AuthenticatedFetch>;
  /** Stops the host and removes its temp data dir; safe to call twice. */
  stop(): Promise<void>;
}
