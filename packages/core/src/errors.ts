/**
 * Typed errors. Plugins throw these; the host maps them to HTTP status codes in one
 * place (its error middleware), so a plugin never chooses a status code by hand.
 */
export type ErrorDetail = Record<string, unknown> | unknown[] | string | null;

export class AidaError extends Error {
  /** Stable, documented code such as `AIDA_CONFIG_INVALID`; clients may switch on it. */
  readonly code: string;
  readonly detail: ErrorDetail;
  /** HTTP status the host answers with when this error escapes a request. */
  readonly status: number;

  constructor(code: string, message: string, options: { status?: number; detail?: ErrorDetail; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.detail = options.detail ?? null;
  }
}

type Opts = { detail?: ErrorDetail; cause?: unknown; code?: string };

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
export type InputOpts = { issues?: readonly InputIssue[]; field?: string; detail?: Record<string, unknown>; cause?: unknown; code?: string };

function inputDetail(message: string, o: InputOpts): { issues: InputIssue[] } & Record<string, unknown> {
  return { ...o.detail, issues: o.issues?.length ? [...o.issues] : [{ field: o.field ?? '', message }] };
}

/** The caller sent something invalid (400). */
export class InputError extends AidaError {
  readonly issues: readonly InputIssue[];
  constructor(message: string, o: InputOpts = {}) {
    const detail = inputDetail(message, o);
    super(o.code ?? 'AIDA_INPUT_INVALID', message, { status: 400, detail, cause: o.cause });
    this.issues = detail.issues;
  }
}

/**
 * A schema validation failure (a `ZodError`) as the API reports it: an `InputError` with one
 * issue per problem, named by its dotted field path, and a message listing them all.
 */
export function inputErrorFrom(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): InputError {
  const issues = error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message }));
  return new InputError(issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; '), { issues });
}

/**
 * Invalid input answered with 422 instead of 400, only where the REST contract says so (an
 * empty name on `POST /api/admin/register-table`). Same code and detail as `InputError`, so
 * clients need no second case; only the status differs.
 */
export class ValidationError extends AidaError {
  readonly issues: readonly InputIssue[];
  constructor(message: string, o: InputOpts = {}) {
    const detail = inputDetail(message, o);
    super(o.code ?? 'AIDA_INPUT_INVALID', message, { status: 422, detail, cause: o.cause });
    this.issues = detail.issues;
  }
}

/** No valid session or token (401). */
export class AuthenticationError extends AidaError {
  constructor(message = 'Authentication required', o: Opts = {}) {
    super(o.code ?? 'AIDA_UNAUTHENTICATED', message, { status: 401, ...o });
  }
}

/** Authenticated but not permitted (403). */
export class NotAllowedError extends AidaError {
  constructor(message = 'Not allowed', o: Opts = {}) {
    super(o.code ?? 'AIDA_NOT_ALLOWED', message, { status: 403, ...o });
  }
}

export class NotFoundError extends AidaError {
  constructor(message: string, o: Opts = {}) {
    super(o.code ?? 'AIDA_NOT_FOUND', message, { status: 404, ...o });
  }
}

export class ConflictError extends AidaError {
  constructor(message: string, o: Opts = {}) {
    super(o.code ?? 'AIDA_CONFLICT', message, { status: 409, ...o });
  }
}

export class PayloadTooLargeError extends AidaError {
  constructor(message: string, o: Opts = {}) {
    super(o.code ?? 'AIDA_PAYLOAD_TOO_LARGE', message, { status: 413, ...o });
  }
}

export class RateLimitedError extends AidaError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, o: Opts = {}) {
    super(o.code ?? 'AIDA_RATE_LIMITED', message, { status: 429, ...o });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A dependency (source API, backend) is not available right now (503). */
export class UnavailableError extends AidaError {
  constructor(message: string, o: Opts = {}) {
    super(o.code ?? 'AIDA_UNAVAILABLE', message, { status: 503, ...o });
  }
}

/** The instance cannot start: bad config, missing plugin, cyclic dependencies, schema too new. */
export class StartupError extends AidaError {
  constructor(code: string, message: string, detail: ErrorDetail = null) {
    super(code, message, { status: 500, detail });
  }
}

export function isAidaError(e: unknown): e is AidaError {
  return e instanceof AidaError || (typeof e === 'object' && e !== null && typeof (e as AidaError).code === 'string' && typeof (e as AidaError).status === 'number' && 'detail' in e);
}
