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

/** The caller sent something invalid (400). */
export class InputError extends AidaError {
  constructor(message: string, o: Opts = {}) {
    super(o.code ?? 'AIDA_INPUT_INVALID', message, { status: 400, ...o });
  }
}

/** A request body failed schema validation (422, as the REST contract has it). */
export class ValidationError extends AidaError {
  constructor(message: string, o: Opts = {}) {
    super(o.code ?? 'AIDA_VALIDATION_FAILED', message, { status: 422, ...o });
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
