// How a failed BigQuery call becomes one of the catalogue's errors: by HTTP status and
// BigQuery's error reason (https://cloud.google.com/bigquery/docs/error-messages), classified
// retryable or not, described as "<call> answered <status> <reason>: <BigQuery's message>"
// and never carrying a credential (every text goes through `redact`).
import { parseRetryAfter, type AidaError } from '@aida/core';
import {
  BigQueryBackendError,
  BigQueryBytesBilledLimitError,
  BigQueryError,
  BigQueryForbiddenError,
  BigQueryInvalidQueryError,
  BigQueryJobFailedError,
  BigQueryNotFoundError,
  BigQueryRateLimitedError,
  BigQueryResponseTooLargeError,
  BigQueryTransportError,
  BigQueryUnauthorizedError,
} from './errors.js';

/** One entry of a Google error body's `errors`, or a job's `status.errorResult`. */
export interface GoogleErrorItem {
  reason?: string;
  message?: string;
  location?: string;
}

/** The shape of the official client's ApiError that matters here. */
interface ApiErrorLike {
  code?: number | string;
  message?: string;
  errors?: GoogleErrorItem[];
  response?: { headers?: Record<string, string | string[] | undefined> };
  type?: string;
  name?: string;
  cause?: unknown;
}

const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'quotaExceeded']);
const SERVER_REASONS = new Set(['backendError', 'internalError']);
/** Where the caller's SQL is at fault: BigQuery's message says what to change. */
const QUERY_REASONS = new Set(['invalidQuery', 'invalid']);

/** Why 403 so often means "set billing_project": the credentials may read the data but not run jobs there. */
function forbiddenHint(message: string): string {
  return /USER_PROJECT_DENIED|serviceusage|bigquery\.jobs\.create/i.test(message)
    ? ' (the credentials may not run jobs in this project: set billing_project to a project where they may)'
    : ' (give the credentials BigQuery Data Viewer on the data and Job User on the billing project)';
}

/** An error the official client (or the token grant) threw for call `what`, as a catalogue error. */
export function translateApiError(what: string, e: unknown, redact: (text: string) => string): AidaError {
  if (e instanceof BigQueryError) return e;
  const err = (e ?? {}) as ApiErrorLike;
  const status = typeof err.code === 'number' ? err.code : Number.isInteger(Number(err.code)) ? Number(err.code) : undefined;
  if (status === undefined || status < 100) return transportError(what, e, redact);
  const item = err.errors?.find((x) => x.reason) ?? err.errors?.[0];
  const reason = item?.reason;
  const message = redact((item?.message ?? err.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 2000));
  const text = `${what} answered ${status}${reason ? ` ${reason}` : ''}${message ? `: ${message}` : ''}`;
  const header = err.response?.headers?.['retry-after'];
  const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header);
  return classify(text, { status, reason, message, retryAfterMs });
}

/** A finished job's `status.errorResult`, as a catalogue error (a server-side failure may be run again). */
export function translateJobError(what: string, item: GoogleErrorItem, redact: (text: string) => string): AidaError {
  const message = redact((item.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 2000));
  const text = `${what} failed${item.reason ? ` (${item.reason})` : ''}${message ? `: ${message}` : ''}`;
  const error = classify(text, { reason: item.reason, message });
  // A job that failed is not the HTTP call that failed: anything not named above is the job's failure.
  return error.constructor === BigQueryError
    ? new BigQueryJobFailedError(text, { reason: item.reason, retryable: SERVER_REASONS.has(item.reason ?? '') })
    : error;
}

function classify(text: string, o: { status?: number; reason?: string; message: string; retryAfterMs?: number }): AidaError {
  const { status, reason = '' } = o;
  const options = { httpStatus: status, reason: reason || undefined };
  if (RATE_LIMIT_REASONS.has(reason) || status === 429)
    return new BigQueryRateLimitedError(text, { ...options, retryable: true, retryAfterMs: o.retryAfterMs });
  if ((status !== undefined && status >= 500) || SERVER_REASONS.has(reason))
    return new BigQueryBackendError(text, { ...options, retryable: true, retryAfterMs: o.retryAfterMs });
  if (reason === 'responseTooLarge')
    return new BigQueryResponseTooLargeError(`${text}; narrow the query (fewer columns, a filter or an aggregate)`, { detail: options });
  if (reason === 'bytesBilledLimitExceeded') return new BigQueryBytesBilledLimitError(text, { detail: options });
  if (QUERY_REASONS.has(reason) || (status === 400 && reason === '')) return new BigQueryInvalidQueryError(text, { detail: options });
  if (status === 401 || reason === 'authError' || reason === 'unauthorized') {
    return new BigQueryUnauthorizedError(`${text} (check the credentials in the config)`, options);
  }
  if (status === 403 || reason === 'accessDenied') return new BigQueryForbiddenError(`${text}${forbiddenHint(o.message)}`, options);
  if (status === 404 || reason === 'notFound') return new BigQueryNotFoundError(text, options);
  return new BigQueryError(text, options);
}

/** No HTTP answer: a refused or reset connection, a timeout. Retryable; described without any secret. */
export function transportError(what: string, e: unknown, redact: (text: string) => string): BigQueryError {
  const err = (e ?? {}) as ApiErrorLike & { code?: string | number };
  const detail = err.message ?? String(e);
  const code = typeof err.code === 'string' && !detail.includes(err.code) ? ` (${err.code})` : '';
  const why = err.type === 'request-timeout' || err.name === 'TimeoutError' ? `timed out: ${detail}` : `${detail}${code}`;
  return new BigQueryTransportError(redact(`${what}: ${why}`), { retryable: true });
}
