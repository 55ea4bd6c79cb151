// Failure injection for the fake stack: a whole-stack outage (`down`) and per-request
// injections — status codes with Retry-After, slow answers, truncated, corrupt or stalled bodies — matched by
// server, method and path, each used up after `times` matching requests.
import type { ServerResponse } from 'node:http';
import { send } from './fake-http.js';

export interface Injection {
  server?: 'api' | 's3';
  method?: string;
  /** Matched against the path (without query). */
  path: RegExp;
  status?: number;
  retryAfter?: string;
  /** Answer after this long (a slow server). */
  delayMs?: number;
  /** Send only the first half of the body (with a matching Content-Length). */
  truncate?: boolean;
  /**
   * Send the body with one bit of its last 8 bytes flipped: in a gzip body that is the trailer's
   * CRC-32, so everything decodes and only the checksum tells the bytes are wrong.
   */
  corrupt?: boolean;
  /** Send half the body, then pause this long before the rest (a transfer that stalls midway). */
  pauseMidBodyMs?: number;
  body?: string;
  /** How many matching requests it applies to (default 1). */
  times?: number;
}

/** What is done to a body as it is sent: cut in half, one bit of its end flipped, or a pause halfway. */
export interface Damage {
  truncate?: boolean;
  corrupt?: boolean;
  pauseMidBodyMs?: number;
}

/** The failure-injection state a FakeKeboola carries (its public `down` and `injections`). */
export interface FailureState {
  down: boolean;
  readonly injections: Injection[];
}

/**
 * Applies the stack's failures to one request: answers it with a 500 (stack down) or an
 * injected status and returns null, or returns how the normal answer is to be damaged.
 * A matching injection is used up, and its delay waited out, before anything else.
 */
export async function applyFailures(
  state: FailureState,
  server: 'api' | 's3',
  method: string | undefined,
  path: string,
  res: ServerResponse,
): Promise<{ damage: Damage } | null> {
  if (state.down) {
    send(res, 500, { error: 'Internal Server Error', code: 'internal', status: 'error' });
    return null;
  }
  const inj = state.injections.find((i) => (i.server ?? 'api') === server && (!i.method || i.method === method) && i.path.test(path) && (i.times ?? 1) > 0);
  if (!inj) return { damage: {} };
  inj.times = (inj.times ?? 1) - 1;
  if (inj.delayMs) await new Promise((r) => setTimeout(r, inj.delayMs));
  if (inj.status) {
    const headers: Record<string, string> = inj.retryAfter ? { 'retry-after': inj.retryAfter } : {};
    send(res, inj.status, inj.body ?? { error: `injected ${inj.status}`, code: 'injected', status: 'error' }, headers);
    return null;
  }
  return { damage: { truncate: inj.truncate, corrupt: inj.corrupt, pauseMidBodyMs: inj.pauseMidBodyMs } };
}
