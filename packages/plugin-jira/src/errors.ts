/**
 * The Jira connector's error catalogue: every code it throws, each defined once. Failures of
 * Jira Cloud are 502 (the source behind AIDA failed, not the caller); the webhook's own refusals
 * carry the status Jira is answered with. docs/errors.md lists them.
 */
import { defineError, InputError, type AidaErrorOptions } from '@aida/core';

export interface JiraErrorOptions extends AidaErrorOptions {
  /** `GET`, `POST`: the request that failed, when there was one. */
  method?: string;
  /** Its path on the site, without the query. */
  path?: string;
  /** HTTP status of Jira's answer, when there was one. */
  httpStatus?: number;
  /** Whether the same request may succeed later (429, 5xx, timeouts, lost connections). */
  retryable?: boolean;
  /** The delay Jira asked for (`Retry-After`), in ms. */
  retryAfterMs?: number;
}

/** A failure talking to Jira Cloud; the message is safe to log (no token, no Authorization header, no signed URL). */
export class JiraError extends defineError('JIRA_ERROR', 502, 'Jira Cloud failed') {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly httpStatus: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message?: string, o: JiraErrorOptions = {}) {
    const request = o.method || o.path || o.httpStatus ? { method: o.method, path: o.path, status: o.httpStatus } : undefined;
    super(message, { detail: o.detail ?? request ?? null, cause: o.cause });
    this.method = o.method;
    this.path = o.path;
    this.httpStatus = o.httpStatus;
    this.retryable = o.retryable ?? false;
    this.retryAfterMs = o.retryAfterMs;
  }

  /** The same failure (same class, so the same code) told with another message, and no longer retryable. */
  retold(message: string): JiraError {
    return new (this.constructor as typeof JiraError)(message, { method: this.method, path: this.path, httpStatus: this.httpStatus, cause: this.cause });
  }
}

export const JiraUnauthorizedError = defineError('JIRA_UNAUTHORIZED', 502, 'Jira refused the API user email and token', JiraError);
export const JiraForbiddenError = defineError('JIRA_FORBIDDEN', 502, 'The Jira API user may not see this', JiraError);
export const JiraRateLimitedError = defineError('JIRA_RATE_LIMITED', 502, 'Jira kept answering 429 Too Many Requests', JiraError);
export const JiraApiRemovedError = defineError('JIRA_API_REMOVED', 502, 'Jira removed the API endpoint the connector called', JiraError);
export const JiraHttpError = defineError('JIRA_HTTP', 502, 'Jira answered with an error', JiraError);
export const JiraTransportError = defineError('JIRA_TRANSPORT', 502, 'The connection to Jira failed', JiraError);
export const JiraMalformedResponseError = defineError('JIRA_MALFORMED_RESPONSE', 502, 'Jira answered something the connector cannot read', JiraError);

/** The connector was given settings it cannot work with (caught at boot by the config schema; this is for code paths that bypass it). */
export const JiraConfigError = defineError('JIRA_CONFIG', 500, 'The Jira connector is misconfigured');

/** `POST /webhooks/jira` while no webhook secret is set: refused, never accepted unsigned. */
export const JiraWebhookNotConfiguredError = defineError('JIRA_WEBHOOK_NOT_CONFIGURED', 503, 'The Jira webhook secret is not configured');
/** The webhook's HMAC signature is missing or does not match the raw body. */
export const JiraWebhookSignatureError = defineError('JIRA_WEBHOOK_SIGNATURE_INVALID', 401, 'Invalid signature');
/** A signed webhook whose body is empty, not JSON, or names no valid issue key. */
export const JiraWebhookPayloadError = defineError('JIRA_WEBHOOK_PAYLOAD_INVALID', 400, 'The webhook payload is invalid', InputError);
