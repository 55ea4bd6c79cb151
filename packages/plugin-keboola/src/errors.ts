/**
 * The Keboola connector's error catalogue: every code it throws, each defined once (all 502:
 * the source behind AIDA failed, not the caller). docs/errors.md lists them.
 */
import { defineError, type AidaErrorOptions } from '@aida/core';

export interface KeboolaErrorOptions extends AidaErrorOptions {
  /** HTTP status of the Keboola answer, when there was one. */
  httpStatus?: number;
  retryable?: boolean;
  /** Delay the server asked for (`Retry-After`), in ms. */
  retryAfterMs?: number;
}

/** A failure talking to Keboola or its file storage; the message is safe to log (no token, no signed URL). */
export class KeboolaError extends defineError('KEBOOLA_ERROR', 502, 'The Keboola Storage API failed') {
  readonly httpStatus: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message?: string, o: KeboolaErrorOptions = {}) {
    super(message, { detail: o.detail, cause: o.cause });
    this.httpStatus = o.httpStatus;
    this.retryable = o.retryable ?? false;
    this.retryAfterMs = o.retryAfterMs;
  }

  /** The same failure (same class, so the same code) told with another message, and no longer retryable. */
  retold(message: string): KeboolaError {
    return new (this.constructor as typeof KeboolaError)(message, { httpStatus: this.httpStatus, cause: this.cause });
  }
}

export const KeboolaUnauthorizedError = defineError('KEBOOLA_UNAUTHORIZED', 502, 'Keboola refused the Storage API token', KeboolaError);
export const KeboolaNotFoundError = defineError('KEBOOLA_NOT_FOUND', 502, 'Keboola has no such table, job or file', KeboolaError);
export const KeboolaHttpError = defineError('KEBOOLA_HTTP_ERROR', 502, 'Keboola answered with an error', KeboolaError);
export const KeboolaTransportError = defineError('KEBOOLA_TRANSPORT_ERROR', 502, 'The connection to Keboola failed', KeboolaError);
export const KeboolaMalformedResponseError = defineError('KEBOOLA_MALFORMED_RESPONSE', 502, 'Keboola answered something AIDA cannot read', KeboolaError);
export const KeboolaStorageError = defineError('KEBOOLA_STORAGE_ERROR', 502, "Reading a file from Keboola's file storage failed", KeboolaError);
export const KeboolaJobFailedError = defineError('KEBOOLA_JOB_FAILED', 502, 'A Keboola job failed', KeboolaError);
export const KeboolaJobTimeoutError = defineError('KEBOOLA_JOB_TIMEOUT', 502, 'A Keboola job did not finish in time', KeboolaError);
