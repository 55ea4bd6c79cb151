// Every failure `da` reports is a CliError of one kind, and the kind decides the exit code, so
// scripts and agents can tell a typo from an expired token from a dead network from bad data.

/** What went wrong, in the terms a caller acts on. */
export type ErrorKind = 'usage' | 'auth' | 'network' | 'data' | 'server';

/** Exit codes by kind (0 is success, 1 an unexpected crash). */
export const EXIT_CODES: Record<ErrorKind, number> = {
  usage: 2, // bad arguments, missing configuration, a prompt that cannot be shown
  auth: 3, // not signed in, token invalid or expired, not allowed (401/403)
  network: 4, // server unreachable, timeouts, connection reset
  data: 5, // hash mismatch, corrupt or inconsistent local files, SQL errors
  server: 6, // the server answered with an error it did not attribute to us (5xx)
};

export class CliError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** `reported`: the command already printed its result (with the failure in it); `detail`: the server's, when it gave one. */
    readonly details: { status?: number; code?: string; hint?: string; reported?: boolean; detail?: unknown } = {},
  ) {
    super(message);
    this.name = 'CliError';
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

export const usageError = (message: string, hint?: string) => new CliError('usage', message, { hint });
export const dataError = (message: string, hint?: string) => new CliError('data', message, { hint });
