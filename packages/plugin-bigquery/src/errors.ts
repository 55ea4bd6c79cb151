/**
 * The BigQuery connector's error catalogue: every code it throws, each defined once. Failures
 * of BigQuery itself are 502 (the source behind AIDA failed, not the caller); a query BigQuery
 * refuses is the caller's (400), and so is one over a cost cap. docs/errors.md lists them.
 * Messages name the call and quote BigQuery's reason and message; never a key or a token.
 */
import { defineError, InputError, PayloadTooLargeError, type AidaErrorOptions } from '@aida/core';

export interface BigQueryErrorOptions extends AidaErrorOptions {
  /** HTTP status of BigQuery's answer, when there was one. */
  httpStatus?: number;
  /** BigQuery's error reason (`rateLimitExceeded`, `notFound`, `backendError`…). */
  reason?: string;
  /** Whether the same call may succeed later (rate limits, 5xx, lost connections). */
  retryable?: boolean;
  /** The delay the server asked for (`Retry-After`), in ms. */
  retryAfterMs?: number;
}

/** A failure talking to BigQuery or its token endpoint; the message is safe to log. */
export class BigQueryError extends defineError('BIGQUERY_ERROR', 502, 'BigQuery failed') {
  readonly httpStatus: number | undefined;
  readonly reason: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message?: string, o: BigQueryErrorOptions = {}) {
    super(message, { detail: o.detail ?? (o.httpStatus || o.reason ? { status: o.httpStatus, reason: o.reason } : null), cause: o.cause });
    this.httpStatus = o.httpStatus;
    this.reason = o.reason;
    this.retryable = o.retryable ?? false;
    this.retryAfterMs = o.retryAfterMs;
  }

  /** The same failure (same class, so the same code) told with another message, and no longer retryable. */
  retold(message: string): BigQueryError {
    return new (this.constructor as typeof BigQueryError)(message, { httpStatus: this.httpStatus, reason: this.reason, cause: this.cause });
  }
}

export const BigQueryUnauthorizedError = defineError('BIGQUERY_UNAUTHORIZED', 502, 'BigQuery or its token endpoint refused the credentials', BigQueryError);
export const BigQueryForbiddenError = defineError('BIGQUERY_FORBIDDEN', 502, 'The credentials may not do this in BigQuery', BigQueryError);
export const BigQueryNotFoundError = defineError('BIGQUERY_NOT_FOUND', 502, 'BigQuery has no such dataset, table or job', BigQueryError);
export const BigQueryRateLimitedError = defineError(
  'BIGQUERY_RATE_LIMITED',
  502,
  'BigQuery kept refusing with rateLimitExceeded or quotaExceeded',
  BigQueryError,
);
export const BigQueryBackendError = defineError('BIGQUERY_BACKEND', 502, 'BigQuery kept failing with a server error', BigQueryError);
export const BigQueryTransportError = defineError('BIGQUERY_TRANSPORT', 502, 'The connection to BigQuery failed', BigQueryError);
export const BigQueryJobFailedError = defineError('BIGQUERY_JOB_FAILED', 502, 'A BigQuery job failed', BigQueryError);
export const BigQueryMalformedResponseError = defineError(
  'BIGQUERY_MALFORMED_RESPONSE',
  502,
  'BigQuery answered something the connector cannot read',
  BigQueryError,
);

/** BigQuery refused the SQL (invalidQuery, invalid): its message says why. */
export const BigQueryInvalidQueryError = defineError('BIGQUERY_INVALID_QUERY', 400, 'BigQuery refused the query', InputError);
/** A run stopped at its maximumBytesBilled (BigQuery's bytesBilledLimitExceeded). */
export const BigQueryBytesBilledLimitError = defineError('BIGQUERY_BYTES_BILLED_LIMIT', 400, 'The query would bill more bytes than it may', InputError);
/** The result is larger than BigQuery returns without a destination table (responseTooLarge). */
export const BigQueryResponseTooLargeError = defineError(
  'BIGQUERY_RESPONSE_TOO_LARGE',
  400,
  'The query result is too large for BigQuery to return',
  InputError,
);
/** A materialized table whose dry run scans more than `limits.max_materialize_bytes`: no job was run. */
export const BigQueryMaterializeTooLargeError = defineError(
  'BIGQUERY_MATERIALIZE_TOO_LARGE',
  413,
  'The table would scan more than limits.max_materialize_bytes',
  PayloadTooLargeError,
);
