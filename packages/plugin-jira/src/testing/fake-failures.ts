// Failure injection for the fake Jira: the next matching requests get a status (429 with
// Retry-After, 503, 500…), a delay, or no answer at all (a hang, for client timeouts).
// Jira Cloud's rate limiting answers 429 with `Retry-After` (seconds) and `X-RateLimit-Reset`
// (`yyyy-MM-ddTHH:mmZ`), and some 503s carry Retry-After too
// (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/). The 429 body is not
// documented; the fake sends Jira's usual error collection.
import type { ServerResponse } from 'node:http';
import { jiraError, sendJson } from './fake-http.js';

export interface FailureSpec {
  /** A RegExp tested against the path, or a string the path must contain. Absent: every path. */
  path?: RegExp | string;
  method?: string;
  /** Answer with this status. Absent with `delayMs`: answer normally after the delay. */
  status?: number;
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  /** The response body (JSON); default Jira's error collection. */
  body?: unknown;
  delayMs?: number;
  /** Never answer (the socket stays open until the client gives up or the fake closes). */
  hang?: boolean;
}

/** An injected failure; `remaining` counts down as matching requests use it up. */
export interface Failure extends FailureSpec {
  remaining: number;
  hits: number;
}

export class Failures {
  readonly list: Failure[] = [];

  add(spec: FailureSpec): Failure {
    const f: Failure = { ...spec, remaining: spec.times ?? 1, hits: 0 };
    this.list.push(f);
    return f;
  }

  clear(): void {
    this.list.length = 0;
  }

  /** Applies the first live matching failure; true when the request was answered (or left hanging). */
  async apply(method: string, path: string, res: ServerResponse): Promise<boolean> {
    const f = this.list.find((x) => x.remaining > 0 && (!x.method || x.method.toUpperCase() === method) && matches(x.path, path));
    if (!f) return false;
    f.remaining--;
    f.hits++;
    if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
    if (f.hang) return true;
    if (f.status === undefined) return false;
    const headers: Record<string, string> = {};
    if (f.retryAfter !== undefined) {
      headers['retry-after'] = String(f.retryAfter);
      if (f.status === 429) {
        headers['x-ratelimit-reset'] = new Date(Date.now() + f.retryAfter * 1000).toISOString().slice(0, 16) + 'Z';
        headers['ratelimit-reason'] = 'jira-quota-based';
      }
    }
    sendJson(res, f.status, f.body ?? jiraError([`Injected failure: HTTP ${f.status}.`]), headers);
    return true;
  }
}

function matches(pattern: RegExp | string | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? path.includes(pattern) : pattern.test(path);
}
