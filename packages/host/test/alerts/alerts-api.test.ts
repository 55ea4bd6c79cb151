import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokens } from '@aida/core';
import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { alertsHost, post, rule, type RecordingChannel } from './helpers.js';

let t: TestHost;
let admin: AuthenticatedFetch;
let ada: AuthenticatedFetch;
let bob: AuthenticatedFetch;
let rec: RecordingChannel;

beforeAll(async () => {
  ({ t, admin, ada, bob, rec } = await alertsHost({ alerts: { max_rules_per_user: 3, min_cooldown: '5m' } }));
});
afterAll(() => t?.stop());

describe('alert rules: create, read, change, delete', () => {
  it('creates a rule owned by the caller and answers it as stored', async () => {
    const created = await post(ada, '/api/alerts', rule());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      owner_id: ada.user.id,
      owner_email: ada.user.email,
      name: 'Big orders',
      condition: 'rows > 0',
      schedule: '*/15 * * * *',
      cooldown: '1h',
      channels: ['rec'],
      chart: null,
      enabled: true,
      last_run_at: null,
      last_status: null,
    });
    const got = await post(ada, `/api/alerts/${created.body.id}`, undefined, 'GET');
    expect(got.body).toEqual(created.body);
    const list = await post(ada, '/api/alerts', undefined, 'GET');
    expect(list.body.alerts.map((a: { id: string }) => a.id)).toEqual([created.body.id]);
  });

  it('fills the defaults: condition rows > 0, cooldown 1h, every channel, enabled', async () => {
    const created = await post(bob, '/api/alerts', { name: 'Any order', sql: 'SELECT 1 AS x', message: 'x={{x}}', schedule: '0 * * * *' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ condition: 'rows > 0', cooldown: '1h', channels: null, enabled: true });
    expect((await post(bob, `/api/alerts/${created.body.id}`, undefined, 'DELETE')).status).toBe(204);
  });

  it('changes only the fields sent, checks the result again, and deletes', async () => {
    const { body: r } = await post(ada, '/api/alerts', rule({ name: 'To change' }));
    const changed = await post(ada, `/api/alerts/${r.id}`, { condition: { column: 'amount', op: '>=', value: 99.5 }, cooldown: '30m', enabled: false }, 'PUT');
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      name: 'To change',
      condition: { column: 'amount', op: '>=', value: 99.5 },
      cooldown: '30m',
      enabled: false,
      sql: r.sql,
    });
    const bad = await post(ada, `/api/alerts/${r.id}`, { sql: 'SELECT 1 AS other' }, 'PUT');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('AIDA_ALERT_COLUMN_UNKNOWN');
    expect((await post(ada, `/api/alerts/${r.id}`, undefined, 'DELETE')).status).toBe(204);
    expect((await post(ada, `/api/alerts/${r.id}`, undefined, 'GET')).status).toBe(404);
    expect((await post(ada, `/api/alerts/${r.id}`, undefined, 'DELETE')).status).toBe(404);
  });

  it('gives another analyst a 404 for a rule that is not theirs, lets an admin see and change every rule, and keeps viewers out', async () => {
    const { body: r } = await post(ada, '/api/alerts', rule({ name: 'Ada private' }));
    for (const [method, path, body] of [
      ['GET', `/api/alerts/${r.id}`, undefined],
      ['PUT', `/api/alerts/${r.id}`, { name: 'taken over' }],
      ['DELETE', `/api/alerts/${r.id}`, undefined],
      ['POST', `/api/alerts/${r.id}/test`, undefined],
      ['GET', `/api/alerts/${r.id}/history`, undefined],
    ] as const) {
      const res = await post(bob, path, body, method);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.code).toBe('AIDA_ALERT_NOT_FOUND');
    }
    expect((await post(bob, '/api/alerts', undefined, 'GET')).body.alerts).toEqual([]);
    const all = await post(bob, '/api/alerts?all=true', undefined, 'GET');
    expect(all.status).toBe(403);
    expect(all.body.message).toMatch(/Only an admin/);

    expect((await post(admin, '/api/alerts', undefined, 'GET')).body.alerts).toEqual([]);
    const everyone = await post(admin, '/api/alerts?all=true', undefined, 'GET');
    expect(everyone.body.alerts.map((a: { name: string }) => a.name)).toContain('Ada private');
    const renamed = await post(admin, `/api/alerts/${r.id}`, { name: 'Renamed by admin' }, 'PUT');
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed by admin', owner_id: ada.user.id });

    const viewer = await t.asUser('viewer');
    expect((await post(viewer, '/api/alerts', rule())).status).toBe(403);
    expect((await post(viewer, '/api/alerts', undefined, 'GET')).status).toBe(403);
    await post(ada, `/api/alerts/${r.id}`, undefined, 'DELETE');
  });

  it('refuses a rule beyond alerts.max_rules_per_user', async () => {
    const carol = await t.asUser('analyst');
    for (let i = 0; i < 3; i++) expect((await post(carol, '/api/alerts', rule({ name: `r${i}` }))).status).toBe(201);
    const fourth = await post(carol, '/api/alerts', rule({ name: 'r3' }));
    expect(fourth.status).toBe(409);
    expect(fourth.body).toMatchObject({ code: 'AIDA_ALERT_LIMIT' });
    expect(fourth.body.message).toMatch(/3 alert rules/);
  });
});

describe('alert rules: what is refused at save time, and why', () => {
  const refused = async (over: Record<string, unknown>) => {
    const r = await post(ada, '/api/alerts', rule(over));
    expect(r.status, JSON.stringify(r.body)).not.toBe(201);
    return r;
  };

  it('a schedule that is not a 5-field cron expression', async () => {
    for (const schedule of ['every day', '* * * *', '0 */5 * * * *', '61 * * * *']) {
      const r = await refused({ schedule });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('AIDA_ALERT_SCHEDULE_INVALID');
      expect(r.body.message).toContain(`schedule: ${JSON.stringify(schedule)} is not a 5-field cron expression`);
      expect(r.body.detail.issues[0].field).toBe('schedule');
    }
  });

  it("SQL the sandbox refuses, with the sandbox's own code", async () => {
    const syntax = await refused({ sql: 'SELEC order_id FROM orders' });
    expect(syntax.status).toBe(400);
    expect(syntax.body.code).toBe('AIDA_QUERY_SYNTAX');
    const write = await refused({ sql: 'DELETE FROM orders' });
    expect(write.status).toBe(400);
    expect(write.body.code).toMatch(/^AIDA_QUERY_/);
    // A table that does not exist answers as one the owner may not read: the names say nothing.
    const missing = await refused({ sql: 'SELECT * FROM no_such_table' });
    expect(missing.status).toBe(403);
    expect(missing.body.code).toBe('AIDA_TABLE_FORBIDDEN');
  });

  it('a table the owner may not read: 403, and the rule is not saved', async () => {
    const before = (await post(ada, '/api/alerts', undefined, 'GET')).body.alerts.length;
    const r = await refused({ sql: 'SELECT person, salary FROM salaries', message: '{{person}}' });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('AIDA_TABLE_FORBIDDEN');
    expect(r.body.message).toContain('salaries');
    expect((await post(ada, '/api/alerts', undefined, 'GET')).body.alerts.length).toBe(before);
  });

  it('a channel no plugin registered, naming the registered ones', async () => {
    const r = await refused({ channels: ['rec', 'pigeon'] });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('AIDA_ALERT_CHANNEL_UNKNOWN');
    // `ws` is the host's own WebSocket gateway; `rec` the test's channel.
    const registered = t.host.resolve(tokens.notifications) as unknown as { channelIds(): string[] };
    expect(r.body.detail.registered).toEqual(registered.channelIds());
    expect(r.body.detail.registered).toContain('rec');
    expect(r.body.message).toBe(`channels: "pigeon" is not a registered notification channel; registered: ${registered.channelIds().join(', ')}`);
  });

  it('a condition that is neither "rows <op> n" nor {column, op, value}, or names a column the SQL does not return', async () => {
    const text = await refused({ condition: 'rows > lots' });
    expect(text.status).toBe(400);
    expect(text.body.code).toBe('AIDA_INPUT_INVALID');
    expect(text.body.message).toContain('condition');
    const op = await refused({ condition: { column: 'amount', op: '~', value: 1 } });
    expect(op.status).toBe(400);
    expect(op.body.detail.issues.some((i: { field: string }) => i.field.startsWith('condition'))).toBe(true);
    const column = await refused({ condition: { column: 'price', op: '>', value: 1 } });
    expect(column.status).toBe(400);
    expect(column.body).toMatchObject({
      code: 'AIDA_ALERT_COLUMN_UNKNOWN',
      message: 'condition.column: the SQL returns no column "price"; it returns order_id, amount',
    });
    expect(column.body.detail.columns).toEqual(['order_id', 'amount']);
  });

  it('a message naming a column the SQL does not return, or with a broken placeholder', async () => {
    const unknown = await refused({ message: 'first {{customer}}' });
    expect(unknown.body).toMatchObject({
      code: 'AIDA_ALERT_COLUMN_UNKNOWN',
      message: 'message: the SQL returns no column "customer"; it returns order_id, amount',
    });
    const open = await refused({ message: 'first {{order_id' });
    expect(open.body).toMatchObject({ code: 'AIDA_ALERT_TEMPLATE_INVALID', message: 'message: "{{" at character 7 is never closed with "}}"' });
    const empty = await refused({ message: 'first {{ }}' });
    expect(empty.body.code).toBe('AIDA_ALERT_TEMPLATE_INVALID');
  });

  it('a chart over a missing or non-numeric column, and a cooldown below alerts.min_cooldown', async () => {
    const x = await refused({ chart: { type: 'line', x: 'day', y: 'amount' } });
    expect(x.body).toMatchObject({ code: 'AIDA_ALERT_COLUMN_UNKNOWN', message: expect.stringContaining('chart.x') });
    const y = await refused({ sql: "SELECT order_id, amount, 'a' AS label FROM orders", chart: { type: 'bar', x: 'order_id', y: 'label' } });
    expect(y.body).toMatchObject({ code: 'AIDA_INPUT_INVALID', message: 'chart.y: "label" is VARCHAR; the vertical axis needs a numeric column' });
    const type = await refused({ chart: { type: 'pie', x: 'order_id', y: 'amount' } });
    expect(type.status).toBe(400);
    const cooldown = await refused({ cooldown: '1m' });
    expect(cooldown.body).toMatchObject({ code: 'AIDA_INPUT_INVALID', message: 'cooldown: must be at least 5m (alerts.min_cooldown); got 1m' });
    const notDuration = await refused({ cooldown: 'soon' });
    expect(notDuration.status).toBe(400);
    expect(notDuration.body.message).toMatch(/cooldown/);
  });

  it('unknown fields', async () => {
    const r = await refused({ colour: 'red' });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/colour/);
  });

  it('nothing refused above reached the recording channel', () => {
    expect(rec.got).toEqual([]);
  });
});
