import { tokens, type Notification, type NotificationChannel, type NotificationChart } from '@aida/core';
import { startTestHost, type AuthenticatedFetch, type TestHost } from '@aida/host/testing';
import { writeTables } from '../mcp/helpers.js';

/** A channel as a plugin registers one: records what it was handed. */
export function recordingChannel(id: string): NotificationChannel & { got: { n: Notification; chart?: NotificationChart }[] } {
  const got: { n: Notification; chart?: NotificationChart }[] = [];
  return {
    id,
    got,
    async deliver(n, chart) {
      got.push({ n, chart });
      return { status: 'delivered' };
    },
  };
}

/** Tight limits, so runaways end quickly: 2 s, 32 MiB, 16 KiB of output, 3 queries a run. */
export const TEST_LIMITS = { enabled: true, timeout: '2s', memory: '32MiB', max_output: '16KiB', max_queries: 3, max_rows: 100, max_concurrent: 4 };

export interface ScriptHost {
  t: TestHost;
  admin: AuthenticatedFetch;
  analyst: AuthenticatedFetch;
  channel: ReturnType<typeof recordingChannel>;
}

/**
 * A host with scripts on, `shop.orders` (public, 10 rows), `hr.payroll` (private), a
 * recording channel `rec`, an admin and an analyst.
 */
export async function scriptHost(scripts: Record<string, unknown> = TEST_LIMITS): Promise<ScriptHost> {
  const t = await startTestHost({ config: { analytics: { profile_after_rebuild: false }, scripts } });
  const channel = recordingChannel('rec');
  t.host.resolve(tokens.notifications).registerChannel(channel);
  await writeTables(t, 'shop', { orders: "SELECT range + 1 AS id, DATE '2024-01-01' + range::INTEGER AS day, (range * 3)::INTEGER AS amount FROM range(10)" });
  await writeTables(t, 'hr', { payroll: "SELECT 'ada' AS person, 1000 AS salary" });
  const admin = await t.asAdmin();
  const priv = await admin('/api/admin/registry/payroll', { method: 'PUT', body: JSON.stringify({ is_public: false }) });
  if (priv.status !== 200) throw new Error(`making payroll private: ${priv.status} ${await priv.text()}`);
  const analyst = await t.asUser('analyst');
  return { t, admin, analyst, channel };
}

export async function post(f: AuthenticatedFetch, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await f(path, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Runs source ad hoc as `owner` (the admin when absent) and returns the run result. */
export async function runSource(h: ScriptHost, source: string, extra: Record<string, unknown> = {}): Promise<any> {
  const r = await post(h.admin, '/api/scripts/run', { source, ...extra });
  if (r.status !== 200) throw new Error(`POST /api/scripts/run: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}
