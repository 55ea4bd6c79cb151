/**
 * Core's error catalogue: the general kinds every package throws or derives its own codes
 * from, and core's own codes. Each code is documented in docs/errors.md.
 */
import { defineError, type AidaErrorOptions } from './define.js';

/** One problem with a request: the field it concerns (`a.b` for nested ones, `''` for the whole body) and what is wrong. */
export interface InputIssue {
  field: string;
  message: string;
}

/**
 * Options of the bad-input errors. Their `detail` always has one shape, `{issues: [{field,
 * message}]}`, so a client reads every validation failure the same way; `issues` defaults to
 * one issue carrying the message (for `field`, or the whole request), and `detail` adds keys
 * beside `issues` (e.g. the `unknown` table ids of a sync trigger).
 */
export type InputOpts = { issues?: readonly InputIssue[]; field?: string; detail?: Record<string, unknown>; cause?: unknown };

/** The caller sent something invalid (400); `detail.issues` names each problem. */
export class InputError extends defineError('AIDA_INPUT_INVALID', 400, 'The request is invalid') {
  readonly issues: readonly InputIssue[];
  constructor(message?: string, o: InputOpts = {}) {
    const text = message ?? new.target.defaultMessage;
    const issues = o.issues?.length ? [...o.issues] : [{ field: o.field ?? '', message: text }];
    super(text, { detail: { ...o.detail, issues }, cause: o.cause });
    this.issues = issues;
  }
}

/**
 * Invalid input answered with 422 instead of 400, only where the REST contract says so (an
 * empty name on `POST /api/admin/register-table`). The same code and detail as `InputError`
 * (it is one), so clients need no second case; only the status differs.
 */
export class ValidationError extends InputError {
  static override readonly status = 422;
}

/**
 * A schema validation failure (a `ZodError`) as the API reports it: an `InputError` with one
 * issue per problem, named by its dotted field path, and a message listing them all.
 */
export function inputErrorFrom(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): InputError {
  const issues = error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message }));
  return new InputError(issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; '), { issues });
}

/** No valid session or token (401). */
export class AuthenticationError extends defineError('AIDA_UNAUTHENTICATED', 401, 'Authentication required') {}

/** Authenticated but not permitted (403). */
export class NotAllowedError extends defineError('AIDA_NOT_ALLOWED', 403, 'Not allowed') {}

export class NotFoundError extends defineError('AIDA_NOT_FOUND', 404, 'Not found') {}

export class ConflictError extends defineError('AIDA_CONFLICT', 409, 'The request conflicts with the current state') {}

export class PayloadTooLargeError extends defineError('AIDA_PAYLOAD_TOO_LARGE', 413, 'The request body is too large') {}

/** Too many attempts (429); the host answers `Retry-After` with `retryAfterSeconds`. */
export class RateLimitedError extends defineError('AIDA_RATE_LIMITED', 429, 'Too many attempts; wait before trying again') {
  readonly retryAfterSeconds: number;
  constructor(message: string | undefined, retryAfterSeconds: number, options: AidaErrorOptions = {}) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A dependency (source API, backend) is not available right now (503). */
export class UnavailableError extends defineError('AIDA_UNAVAILABLE', 503, 'Not available right now; try again shortly') {}

/** The instance cannot start: bad config, missing plugin, cyclic dependencies, schema too new. */
export class StartupError extends defineError('AIDA_STARTUP_FAILED', 500, 'The instance cannot start') {}

/** Something failed that the caller cannot fix (500); the host hides the message from clients. */
export class InternalError extends defineError('AIDA_INTERNAL', 500, 'Internal error') {}

/**
 * What `sessions.signIn` refuses (the SessionIssuer contract), so an auth provider can tell
 * them apart by code: an identity with no account, and a deactivated account.
 */
export const UnknownUserError = defineError('AIDA_UNKNOWN_USER', 401, 'No account for this identity; ask an admin to invite you', AuthenticationError);
export const UserDeactivatedError = defineError('AIDA_USER_DEACTIVATED', 401, 'This account is deactivated', AuthenticationError);

/** A source or table name, or a column, that is not a valid identifier. */
export const InvalidIdentifierError = defineError('AIDA_INVALID_IDENTIFIER', 400, 'Invalid name for a source, table or column', InputError);
