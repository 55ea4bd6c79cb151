import type { RouteDefinition } from './routes.js';

/** An identity a provider has verified (the provider checked the password, the OAuth code, the link). */
export interface VerifiedIdentity {
  email: string;
  name?: string;
  /** Provider id, e.g. `password`, `google`, `email`. */
  provider: string;
  /** Whether an unknown user may be created, and with which role. */
  createIfMissing?: { role: 'viewer' | 'analyst' };
}

/** What the login page shows for a provider: a button (link) or a small form. */
export type LoginEntry =
  { label: string; href: string } | { label: string; form: { action: string; fields: { name: string; type: 'email' | 'password' | 'text'; label: string }[] } };

/**
 * A sign-in method. It contributes routes and a login page entry; on success it hands the
 * host a verified identity through `tokens.sessions` (`SessionIssuer.signIn`), and the host
 * alone issues the session.
 */
export interface AuthProvider {
  readonly id: string;
  readonly login: LoginEntry;
  readonly routes: readonly RouteDefinition[];
}

export interface AuthProviderRegistry {
  register(provider: AuthProvider): void;
  list(): readonly AuthProvider[];
}
