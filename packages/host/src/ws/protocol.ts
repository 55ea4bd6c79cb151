// The gateway's wire protocol (docs/notifications.md#websocket-gateway): what clients send,
// what the host sends, and the close codes it ends a socket with.
import { z } from 'zod';

/** Close codes (4000–4999 are the application's own; RFC 6455 §7.4.2). */
export const CLOSE = {
  /** No auth message in time, a malformed one, or a token the host refuses (also later: revoked, deactivated, expired). */
  unauthenticated: 4401,
  /** The user already holds `max_connections_per_user` sockets. */
  tooManyConnections: 4429,
  /** The host is stopping. */
  goingAway: 1001,
} as const;

/** The first message a client sends. */
export const authMessage = z.object({ type: z.literal('auth'), token: z.string().min(1).max(8192) }).strict();

/** Any later message a client may send: an application-level ping for clients that cannot see protocol pings. */
export const clientMessage = z.object({ type: z.literal('ping') }).loose();

export interface ReadyMessage {
  type: 'ready';
  user_id: string;
}

export interface NotificationMessage {
  type: 'notification';
  id: string;
  title: string;
  body: string;
  /** Absolute when `instance.base_url` is set, else the host path. */
  chart_url?: string;
  created_at: string;
}

export interface SyncMessage {
  type: 'sync';
  source: string;
  /** `ok`: new data of these tables is queryable; `error`: their extraction failed (the previous data is kept). */
  status: 'ok' | 'error';
  /** Only the tables the receiving user may read. */
  tables: string[];
}

export type ServerMessage = ReadyMessage | NotificationMessage | SyncMessage | { type: 'pong' };

/**
 * A close reason is at most 123 bytes (RFC 6455 §5.5: control frames carry 125, 2 are the
 * code); longer text would make `ws` throw, so it is cut.
 */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= 123) return text;
  let cut = bytes.subarray(0, 120).toString('utf8');
  // A multi-byte character split at the cut decodes as U+FFFD; drop it.
  cut = cut.replace(/\uFFFD+$/, '');
  return `${cut}...`;
}
