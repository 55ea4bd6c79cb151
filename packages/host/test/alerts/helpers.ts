import { tokens, type Notification, type NotificationChannel, type NotificationChart } from '@aida/core';
import { startTestHost, type AuthenticatedFetch, type TestHost } from '@aida/host/testing';
import { ORDERS_SQL, writeTables } from '../mcp/helpers.js';

/** A channel as a plugin registers one: records what it was handed. */
export interface RecordingChannel extends NotificationChannel {
  got: { n: Notification; chart?: NotificationChart }[];
}

export function recordingChannel(id: string): RecordingChannel {
  const got: RecordingChannel['got'] = [];
  return {
    id,
    got,
    async deliver(n, chart) {
      got.push({ n, ...(chart ? { chart } : {}) });
      return { status: 'delivered' };
    },
  };
}

/**
 * A host with `shop.orders` (500 rows, public) and `hr.salaries` (private), a recording
 * channel `rec`, an admin and two analysts.
 */
export async function alertsHost(config: Record<string, unknown> = {}) {
  const t: TestHost = await startTestHost({ config: { analytics: { profile_after_rebuild: false }, ...config } });
  await writeTables(t, 'shop', { orders: ORDERS_SQL });
  await writeTables(t, 'hr', { salaries: `SELECT 'person ' || range AS person, 1000 + range AS salary FROM range(10)` });
  const admin = await t.asAdmin();
  const priv = await admin('/api/admin/registry/salaries', { method: 'PUT', body: JSON.stringify({ is_public: false }) });
  if (priv.status !== 200) throw new Error(`making salaries private: ${priv.status} ${await priv.text()}`);
  const rec = recordingChannel('rec');
  t.host.resolve(tokens.notifications).registerChannel(rec);
  const ada: AuthenticatedFetch = await t.asUser('analyst');
  const bob: AuthenticatedFetch = await t.asUser('analyst');
  return { t, admin, ada, bob, rec };
}

/** A valid rule body; override any field. */
export function rule(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Big orders',
    sql: 'SELECT order_id, amount FROM orders WHERE amount > 99 ORDER BY order_id',
    condition: 'rows > 0',
    message: '{{row_count}} big orders, first {{order_id}} ({{amount}})',
    schedule: '*/15 * * * *',
    cooldown: '1h',
    channels: ['rec'],
    ...over,
  };
}

export async function post(f: AuthenticatedFetch, path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: any }> {
  const r = await f(path, { method, body: JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
