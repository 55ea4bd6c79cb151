/**
 * Coded errors in the `@fastify/error` shape: `defineError(code, status, defaultMessage)`
 * returns a class whose instances carry that code and status, a `detail` and an optional
 * `cause`. Each package defines its codes once, in its catalogue module, so a code always
 * answers with the same status, and docs/errors.md lists every one (a test keeps it so).
 */

export type ErrorDetail = Record<string, unknown> | unknown[] | string | null;

/**
 * Statuses an error can answer with. 499 is the query API's "client went away" (nginx's
 * number; nobody reads the answer) and 504 its engine timeout.
 */
export type ErrorHttpStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 416 | 422 | 429 | 499 | 500 | 502 | 503 | 504;

export interface AidaErrorOptions {
  detail?: ErrorDetail;
  /** The error this one reports; logs keep its message and stack under "caused by". */
  cause?: unknown;
}

/** Code, status and default message of an error class, as `defineError` stamps them. */
export interface ErrorDefinition {
  readonly code: string;
  readonly status: ErrorHttpStatus;
  readonly defaultMessage: string;
}

/** A class `defineError` made (or one derived from it): `new X(message?, { detail, cause })`. */
export type ErrorClass<A extends unknown[] = [message?: string, options?: AidaErrorOptions]> = ErrorDefinition & (new (...args: A) => AidaError);

const CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;

/**
 * The root of every coded error. Code and status come from the class (its `defineError`
 * statics), never from the throw site: that is what keeps one code on one status.
 */
export abstract class AidaError extends Error {
  // Stamped on each class by defineError; the root itself has no code of its own.
  declare static readonly code: string;
  declare static readonly status: ErrorHttpStatus;
  declare static readonly defaultMessage: string;

  /** Stable, documented code such as `AIDA_CONFIG_INVALID`; clients may switch on it. */
  readonly code: string;
  readonly detail: ErrorDetail;
  /** HTTP status the host answers with when this error escapes a request. */
  readonly status: number;

  constructor(message?: string, options: AidaErrorOptions = {}) {
    const kind = new.target as unknown as ErrorDefinition & { name: string };
    super(message ?? kind.defaultMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = kind.name;
    this.code = kind.code;
    this.status = kind.status;
    this.detail = options.detail ?? null;
  }
}

/** `AIDA_TABLE_NOT_FOUND` → `TableNotFoundError`, `KEBOOLA_HTTP_ERROR` → `KeboolaHttpError`. */
function classNameOf(code: string): string {
  const name = code
    .replace(/^AIDA_/, '')
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
  return name.endsWith('Error') ? name : `${name}Error`;
}

/**
 * A new error class for `code`, answered with `status`. With `base` (a class made here, such
 * as `InputError`), the new class derives from it: it takes the base's constructor arguments
 * and `instanceof base` holds, so a specific code is still its general kind.
 */
export function defineError(code: string, status: ErrorHttpStatus, defaultMessage: string): ErrorClass;
export function defineError<B extends ErrorDefinition & (abstract new (...args: never) => AidaError)>(
  code: string,
  status: ErrorHttpStatus,
  defaultMessage: string,
  base: B,
): B;
export function defineError(code: string, status: ErrorHttpStatus, defaultMessage: string, base: unknown = AidaError): unknown {
  if (!CODE.test(code)) throw new Error(`Invalid error code ${JSON.stringify(code)}: use upper-case words joined by _, e.g. AIDA_TABLE_NOT_FOUND`);
  // A concrete constructor type, so the class below may extend whichever base was given.
  const Base = base as new (...args: unknown[]) => AidaError;
  const defined = class extends Base {};
  Object.defineProperties(defined, {
    code: { value: code, enumerable: true },
    status: { value: status, enumerable: true },
    defaultMessage: { value: defaultMessage, enumerable: true },
    name: { value: classNameOf(code) },
  });
  return defined;
}

/** Whether `value` is an error class with a code (what a catalogue exports). */
export function isErrorClass(value: unknown): value is ErrorClass<never> {
  return typeof value === 'function' && value.prototype instanceof AidaError && typeof (value as Partial<ErrorDefinition>).code === 'string';
}

export function isAidaError(e: unknown): e is AidaError {
  return (
    e instanceof AidaError ||
    (typeof e === 'object' && e !== null && typeof (e as AidaError).code === 'string' && typeof (e as AidaError).status === 'number' && 'detail' in e)
  );
}
