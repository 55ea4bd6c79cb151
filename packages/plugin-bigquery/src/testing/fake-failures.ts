// Failure injection for the fake BigQuery: the next matching requests wait, then get an error
// in Google's shape (403 rateLimitExceeded, 500 backendError, …), each failure used up after
// `times` matching requests. The token endpoint answers OAuth's own error shape instead.
import type { Failure, FailureSpec } from './fake-model.js';
import { reasonForStatus, statusForReason } from './fake-errors.js';

/** What an injected failure makes of one request: an error to answer, or nothing (go on). */
export interface InjectedError {
  status: number;
  reason: string;
  message: string;
}

export class Failures {
  private readonly list: Failure[] = [];

  add(spec: FailureSpec): Failure {
    const f: Failure = { ...spec, remaining: spec.times ?? 1, hits: 0 };
    this.list.push(f);
    return f;
  }

  clear(): void {
    this.list.length = 0;
  }

  /** Uses up the first failure matching the request, waits out its delay, and returns its error if it has one. */
  async apply(method: string, path: string): Promise<InjectedError | null> {
    const f = this.list.find((x) => x.remaining > 0 && matches(x, method, path));
    if (!f) return null;
    f.remaining -= 1;
    f.hits += 1;
    if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
    if (f.status === undefined && f.reason === undefined) return null;
    const status = f.status ?? statusForReason(f.reason!);
    const reason = f.reason ?? reasonForStatus(status);
    return { status, reason, message: f.message ?? defaultMessage(reason) };
  }
}

function matches(f: Failure, method: string, path: string): boolean {
  if (f.method && f.method.toUpperCase() !== method) return false;
  if (f.path === undefined) return true;
  return typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path);
}

function defaultMessage(reason: string): string {
  switch (reason) {
    case 'rateLimitExceeded':
      return 'Exceeded rate limits: too many api requests per user per method for this user_method. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas';
    case 'quotaExceeded':
      return 'Quota exceeded: Your project exceeded quota for free query bytes scanned. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas';
    case 'backendError':
      return 'Error encountered during execution. Retrying may solve the problem.';
    case 'accessDenied':
      return 'Access Denied: the fake was told to refuse this request.';
    default:
      return `The fake was told to fail this request (${reason}).`;
  }
}
