import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { alertsHost, post, rule, type RecordingChannel } from './helpers.js';

// Once a year: the recurring run never fires by itself while the tests run; they run rules with runJob.
const YEARLY = '0 0 1 1 *';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let t: TestHost;
let admin: AuthenticatedFetch;
let ada: AuthenticatedFetch;
let bob: AuthenticatedFetch;
let rec: RecordingChannel;

beforeAll(async () => {
  ({ t, admin, ada, bob, rec } = await alertsHost());
});
afterAll(() => t?.stop());

async function create(f: AuthenticatedFetch, over: Record<string, unknown> = {}): Promise<{ id: string } & Record<string, unknown>> {
  const r = await post(f, '/api/alerts', rule({ schedule: YEARLY, ...over }));
  if (r.status !== 201) throw new Error(`creating a rule: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function run(id: string) {
  const outcome = await t.runJob('aida:alert', { rule_id: id });
  expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
}

async function history(f: AuthenticatedFetch, id: string): Promise<any[]> {
  const r = await post(f, `/api/alerts/${id}/history`, undefined, 'GET');
  expect(r.status).toBe(200);
  return r.body.history;
}

const sentFor = (id: string) => rec.got.filter((g) => g.n.origin === `alert:${id}`);

describe('a rule running on its schedule', () => {
  it("fires through the owner's channels with the message filled and a chart, and records it", async () => {
    const r = await create(ada, { chart: { type: 'bar', x: 'order_id', y: 'amount' } });
    await run(r.id);
    const sent = sentFor(r.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.n).toMatchObject({ userId: ada.user.id, title: 'Big orders', body: '5 big orders, first 58 (99.5)' });
    expect(Buffer.from(sent[0]!.chart!.png.subarray(0, 8)).equals(PNG_SIGNATURE)).toBe(true);
    expect(sent[0]!.chart!.alt).toBe('bar chart of amount by order_id');

    const [entry] = await history(ada, r.id);
    expect(entry).toMatchObject({
      trigger: 'schedule',
      status: 'fired',
      row_count: 5,
      message: '5 big orders, first 58 (99.5)',
      notification_id: sent[0]!.n.id,
      error: null,
    });
    const stored = (await post(ada, `/api/alerts/${r.id}`, undefined, 'GET')).body;
    expect(stored).toMatchObject({ last_status: 'fired', failing_since: null });
    expect(stored.last_fired_at).toBe(stored.last_run_at);

    // The owner finds it among their notifications, with its chart.
    const mine = (await post(ada, `/api/notifications?origin=alert:${r.id}`, undefined, 'GET')).body;
    expect(mine.notifications[0]).toMatchObject({ id: sent[0]!.n.id, chart_url: `/api/notifications/${sent[0]!.n.id}/chart` });
    expect((await ada(mine.notifications[0].chart_url)).headers.get('content-type')).toBe('image/png');
  });

  it('holds back a repeat within the cooldown, recorded as suppressed', async () => {
    const r = await create(ada, { name: 'Cooling', cooldown: '1h' });
    await run(r.id);
    await run(r.id);
    await run(r.id);
    expect(sentFor(r.id)).toHaveLength(1);
    const h = await history(ada, r.id);
    expect(h.map((e) => e.status)).toEqual(['suppressed', 'suppressed', 'fired']);
    expect(h[0]).toMatchObject({ notification_id: null, row_count: 5, message: '5 big orders, first 58 (99.5)' });
    expect((await post(ada, `/api/alerts/${r.id}`, undefined, 'GET')).body.last_status).toBe('suppressed');
  });

  it('fires again once the cooldown has passed', async () => {
    const r = await create(ada, { name: 'Short cooldown', cooldown: '1m' });
    await run(r.id);
    // The cooldown counts from the last firing: move it back past the window.
    await t.host.systemDb!.run("UPDATE alert_rules SET last_fired_at = last_fired_at - INTERVAL '2 minutes' WHERE id = ?", [r.id]);
    await run(r.id);
    expect(sentFor(r.id)).toHaveLength(2);
    expect((await history(ada, r.id)).map((e) => e.status)).toEqual(['fired', 'fired']);
  });

  it('stays quiet, and records nothing, when the condition does not hold; a column condition fires on any row, the message from the first that matched', async () => {
    const quiet = await create(ada, { name: 'Never', sql: 'SELECT order_id, amount FROM orders WHERE amount > 1000' });
    await run(quiet.id);
    expect(sentFor(quiet.id)).toHaveLength(0);
    expect(await history(ada, quiet.id)).toEqual([]);
    expect((await post(ada, `/api/alerts/${quiet.id}`, undefined, 'GET')).body.last_status).toBe('quiet');

    const col = await create(ada, {
      name: 'Column',
      sql: 'SELECT order_id, amount FROM orders ORDER BY order_id LIMIT 100',
      condition: { column: 'amount', op: '>=', value: 99.5 },
      message: 'order {{order_id}} is {{amount}} ({{row_count}} rows read)',
    });
    await run(col.id);
    expect(sentFor(col.id).map((s) => s.n.body)).toEqual(['order 58 is 99.5 (100 rows read)']);
  });

  it('fails when the owner lost access to a table after saving, tells the owner once per failure streak, and recovers', async () => {
    const carol = await t.asUser('analyst');
    const grant = { user_id: carol.user.id, dataset: 'salaries' };
    expect((await post(admin, '/api/admin/permissions', grant)).status).toBe(201);
    const r = await create(carol, { name: 'Payroll', sql: 'SELECT person, salary FROM salaries', message: '{{row_count}} people, first {{person}}' });
    expect((await post(admin, '/api/admin/permissions', grant, 'DELETE')).status).toBe(204);

    await run(r.id);
    await run(r.id);
    const h = await history(carol, r.id);
    expect(h.map((e) => e.status)).toEqual(['failed', 'failed']);
    expect(h[1].error).toMatch(/salaries/);
    expect(h[1].notification_id).not.toBeNull();
    expect(h[0].notification_id).toBeNull();
    const notices = sentFor(r.id);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.n).toMatchObject({ userId: carol.user.id, title: 'Alert failed: Payroll' });
    expect(notices[0]!.n.body).toContain('salaries');
    const stored = (await post(carol, `/api/alerts/${r.id}`, undefined, 'GET')).body;
    expect(stored.last_status).toBe('failed');
    expect(stored.failing_since).not.toBeNull();
    // The test button answers the sandbox's own refusal.
    const test = await post(carol, `/api/alerts/${r.id}/test`, undefined);
    expect(test.status).toBe(403);
    expect(test.body.code).toBe('AIDA_TABLE_FORBIDDEN');

    // Access back: the rule works (and fires), ending the streak; losing access again tells the owner again.
    expect((await post(admin, '/api/admin/permissions', grant)).status).toBe(201);
    await run(r.id);
    expect((await post(carol, `/api/alerts/${r.id}`, undefined, 'GET')).body).toMatchObject({ last_status: 'fired', failing_since: null });
    expect(sentFor(r.id).at(-1)!.n.body).toBe('10 people, first person 0');
    expect((await post(admin, '/api/admin/permissions', grant, 'DELETE')).status).toBe(204);
    await run(r.id);
    expect(sentFor(r.id).map((s) => s.n.title)).toEqual(['Alert failed: Payroll', 'Payroll', 'Alert failed: Payroll']);
  });

  it('fails when its owner is deactivated, without messaging them', async () => {
    const dan = await t.asUser('analyst');
    const r = await create(dan, { name: 'Dan rule' });
    expect((await post(admin, `/api/users/${dan.user.id}/deactivate`, {})).status).toBe(200);
    await run(r.id);
    const [entry] = await history(admin, r.id);
    expect(entry).toMatchObject({ status: 'failed', notification_id: null });
    expect(entry.error).toMatch(/deactivated/);
    expect(sentFor(r.id)).toHaveLength(0);
  });
});

describe('POST /api/alerts/{id}/test', () => {
  it('shows what the rule would send without sending it; with deliver=true it sends, recorded as a test that leaves the cooldown alone', async () => {
    const r = await create(bob, { name: 'Testable', chart: { type: 'line', x: 'order_id', y: 'amount', title: 'Big ones' } });
    const dry = await post(bob, `/api/alerts/${r.id}/test`, undefined);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      condition_met: true,
      row_count: 5,
      truncated: false,
      title: 'Testable',
      message: '5 big orders, first 58 (99.5)',
      columns: [{ name: 'order_id' }, { name: 'amount' }],
      chart_error: null,
      delivered: null,
    });
    expect(dry.body.rows[0]).toEqual([58, 99.5]);
    expect(dry.body.chart.bytes).toBeGreaterThan(1000);
    expect(sentFor(r.id)).toHaveLength(0);
    expect(await history(bob, r.id)).toEqual([]);

    const sent = await post(bob, `/api/alerts/${r.id}/test?deliver=true`, undefined);
    expect(sent.body.delivered.deliveries).toEqual({ rec: { status: 'delivered' } });
    expect(sentFor(r.id)).toHaveLength(1);
    expect(sentFor(r.id)[0]!.n.id).toBe(sent.body.delivered.notification_id);
    const [entry] = await history(bob, r.id);
    expect(entry).toMatchObject({ trigger: 'test', status: 'fired', notification_id: sent.body.delivered.notification_id });
    // A scheduled run right after still fires: the cooldown counts scheduled firings only.
    await run(r.id);
    expect(sentFor(r.id)).toHaveLength(2);
  });

  it('says so when the condition does not hold, and then sends nothing even with deliver=true', async () => {
    const r = await create(bob, { name: 'Quiet test', condition: 'rows > 10' });
    // The choice may come in the body as well as the query string.
    const res = await post(bob, `/api/alerts/${r.id}/test`, { deliver: true });
    expect(res.body).toMatchObject({ condition_met: false, row_count: 5, message: null, delivered: null });
    expect(sentFor(r.id)).toHaveLength(0);
  });
});

describe("each rule's recurring job", () => {
  const scheduled = async () => (await t.host.jobs!.recurringSchedules('aida:alert')).map((d) => d.rule_id);

  it('is created with the rule, follows its schedule and enabled flag, and is cancelled on delete', async () => {
    const r = await create(ada, { name: 'Scheduled', schedule: '*/30 * * * *' });
    expect(await scheduled()).toContain(r.id);
    const job = (await t.host.jobs!.list('aida:alert')).find((j) => j.data.rule_id === r.id && j.schedule);
    expect(job?.schedule).toBe('*/30 * * * *');

    await post(ada, `/api/alerts/${r.id}`, { schedule: '5 * * * *' }, 'PUT');
    const moved = (await t.host.jobs!.list('aida:alert')).filter((j) => j.data.rule_id === r.id && j.schedule);
    expect(moved.map((j) => j.schedule)).toEqual(['5 * * * *']);

    await post(ada, `/api/alerts/${r.id}`, { enabled: false }, 'PUT');
    expect(await scheduled()).not.toContain(r.id);
    await post(ada, `/api/alerts/${r.id}`, { enabled: true }, 'PUT');
    expect(await scheduled()).toContain(r.id);

    expect((await post(ada, `/api/alerts/${r.id}`, undefined, 'DELETE')).status).toBe(204);
    expect(await scheduled()).not.toContain(r.id);
  });

  it('a run queued for a rule deleted meanwhile does nothing and drops its schedule', async () => {
    const outcome = await t.runJob('aida:alert', { rule_id: 'gone' });
    expect(outcome.ok).toBe(true);
    expect(await scheduled()).not.toContain('gone');
  });
});
