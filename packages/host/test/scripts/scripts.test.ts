import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, scriptHost, type ScriptHost } from './helpers.js';

let h: ScriptHost;
beforeAll(async () => {
  h = await scriptHost();
});
afterAll(() => h?.t.stop());

const TOTAL = `export default async function run({ query, params }) {
  const r = await query('SELECT count(*) AS n, sum(amount) AS total FROM orders');
  console.log('rows', r.rows.length);
  return { title: params.title, message: 'orders: ' + r.rows[0].n + ', total ' + r.rows[0].total };
}`;

describe('notification scripts', () => {
  it("deploys a script, runs it as its owner, delivers its message to the owner's channels and records the run", async () => {
    const deployed = await post(h.admin, '/api/scripts/deploy', {
      name: 'orders total',
      source: TOTAL,
      owner: h.analyst.user.email,
      channels: ['rec'],
      params: { title: 'Daily orders' },
    });
    expect(deployed.status).toBe(201);
    expect(deployed.json).toMatchObject({
      name: 'orders total',
      owner_id: h.analyst.user.id,
      owner_email: h.analyst.user.email,
      channels: ['rec'],
      schedule: null,
      last_run: null,
    });
    const id = deployed.json.id;

    const run = await post(h.admin, `/api/scripts/${id}/run`, {});
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({ status: 'ok', message: 'orders: 10, total 135', logs: ['rows 1'], queries: 1 });
    expect(run.json.duration_ms).toBeGreaterThan(0);
    expect(run.json.notification.deliveries).toEqual({ rec: { status: 'delivered' } });

    const got = h.channel.got.at(-1)!;
    expect(got.n).toMatchObject({ userId: h.analyst.user.id, title: 'Daily orders', body: 'orders: 10, total 135', origin: `script:${id}` });
    const mine = await (await h.analyst('/api/notifications')).json();
    expect(mine.notifications[0]).toMatchObject({ id: run.json.notification.id, origin: `script:${id}` });

    const runs = await (await h.admin(`/api/scripts/${id}/runs`)).json();
    expect(runs.total).toBe(1);
    expect(runs.runs[0]).toMatchObject({
      trigger: 'manual',
      status: 'ok',
      message: 'orders: 10, total 135',
      queries: 1,
      notification_id: run.json.notification.id,
    });
    const list = await (await h.admin('/api/scripts')).json();
    expect(list.count).toBe(1);
    expect(list.scripts[0]).toMatchObject({ id, last_run: { status: 'ok' } });
    expect(list.scripts[0].source).toBeUndefined();
    expect((await (await h.admin(`/api/scripts/${id}`)).json()).source).toBe(TOTAL);

    // The same name again replaces the script, keeping its id.
    const again = await post(h.admin, '/api/scripts/deploy', { name: 'orders total', source: 'export default () => null;', channels: ['rec'] });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id, owner_id: h.admin.user.id });
    expect((await post(h.admin, `/api/scripts/${id}/run`, {})).json).toMatchObject({ status: 'ok', queries: 0 });
    expect((await post(h.admin, `/api/scripts/${id}/run`, {})).json.notification).toBeUndefined();
  });

  it("reports a query on a table the owner cannot read as the script's error (403 from the sandbox)", async () => {
    const source = `export default async ({ query }) => { const r = await query('SELECT * FROM payroll'); return { message: String(r.rows.length) }; }`;
    const asAnalyst = await post(h.admin, '/api/scripts/run', { source, owner: h.analyst.user.id });
    expect(asAnalyst.json).toMatchObject({ status: 'error', queries: 1 });
    expect(asAnalyst.json.message).toMatch(/query failed \(403 AIDA_TABLE_FORBIDDEN\)/);
    expect(asAnalyst.json.message).toMatch(/payroll/);
    // The admin, who can read it, runs the same source fine.
    expect((await post(h.admin, '/api/scripts/run', { source })).json).toMatchObject({ status: 'ok', message: '1' });
    // A script may catch the failure and say so itself.
    const caught = `export default async ({ query }) => { try { await query('SELECT * FROM payroll'); } catch (e) { return { message: e.status + ' ' + e.code }; } }`;
    expect((await post(h.admin, '/api/scripts/run', { source: caught, owner: h.analyst.user.id })).json).toMatchObject({
      status: 'ok',
      message: '403 AIDA_TABLE_FORBIDDEN',
    });
  });

  it('caps the queries of a run and the rows of a query', async () => {
    const many = `export default async ({ query }) => { for (let i = 0; i < 10; i++) await query('SELECT 1 AS x'); }`;
    const r = (await post(h.admin, '/api/scripts/run', { source: many })).json;
    expect(r).toMatchObject({ status: 'error', queries: 4 });
    expect(r.message).toMatch(/AIDA_SCRIPT_QUERY_LIMIT.*at most 3/);
    const rows = `export default async ({ query }) => { const r = await query('SELECT range FROM range(1000)'); return { message: r.rows.length + ' ' + r.truncated }; }`;
    expect((await post(h.admin, '/api/scripts/run', { source: rows })).json).toMatchObject({ status: 'ok', message: '100 true' });
  });

  it('delivers a chart drawn from a query result with the message', async () => {
    const source = `export default async ({ query }) => {
      const r = await query('SELECT day, amount FROM orders ORDER BY day');
      return { message: 'amount per day', chart: { type: 'line', x: 'day', y: 'amount', data: r } };
    }`;
    const r = (await post(h.admin, '/api/scripts/run', { source, deliver: true, channels: ['rec'] })).json;
    expect(r).toMatchObject({ status: 'ok', message: 'amount per day', chart: { type: 'line', x: 'day', y: 'amount' } });
    expect(r.chart.url).toBe(`/api/notifications/${r.notification.id}/chart`);
    const got = h.channel.got.at(-1)!;
    expect(got.n.origin).toBe('script:adhoc');
    expect(Buffer.from(got.chart!.png).subarray(1, 4).toString()).toBe('PNG');
    const img = await h.admin(r.chart.url);
    expect(img.headers.get('content-type')).toBe('image/png');

    // Plain rows work too; a column the data lacks is the script's error.
    const rows = `export default () => ({ message: 'm', chart: { type: 'bar', x: 'k', y: 'v', data: [{ k: 'a', v: 1 }, { k: 'b', v: 2 }] } })`;
    expect((await post(h.admin, '/api/scripts/run', { source: rows })).json).toMatchObject({ status: 'ok', chart: { type: 'bar' } });
    const bad = `export default () => ({ message: 'm', chart: { type: 'bar', x: 'k', y: 'nope', data: [{ k: 'a', v: 1 }] } })`;
    expect((await post(h.admin, '/api/scripts/run', { source: bad })).json).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/chart cannot be drawn.*nope/),
    });
  });

  it('refuses a result that is not { message, chart? }, and sends nothing for a script that returns nothing', async () => {
    const r = (await post(h.admin, '/api/scripts/run', { source: 'export default () => ({ text: 1 })' })).json;
    expect(r).toMatchObject({ status: 'error', message: expect.stringMatching(/must return nothing or \{ message/) });
    const before = h.channel.got.length;
    expect((await post(h.admin, '/api/scripts/run', { source: 'export default async () => undefined', deliver: true })).json).toMatchObject({ status: 'ok' });
    expect(h.channel.got.length).toBe(before);
  });

  it('validates a deploy: a syntax error is a 400 naming the line, imports and unknown owners, schedules and channels are refused', async () => {
    const syntax = await post(h.admin, '/api/scripts/deploy', { name: 'broken', source: 'export default async () => {\n  return { message: ;\n};' });
    expect(syntax.status).toBe(400);
    expect(syntax.json).toMatchObject({ code: 'AIDA_SCRIPT_INVALID', detail: { line: 2 } });
    expect(syntax.json.message).toMatch(/line 2: SyntaxError/);
    const imports = await post(h.admin, '/api/scripts/deploy', { name: 'imports', source: "import fs from 'node:fs';\nexport default () => null;" });
    expect(imports.status).toBe(400);
    expect(imports.json.message).toMatch(/cannot import anything \(found: 'node:fs'\)/);
    const owner = await post(h.admin, '/api/scripts/deploy', { name: 'x', source: 'export default () => null', owner: 'nobody@example.com' });
    expect(owner.status).toBe(400);
    const schedule = await post(h.admin, '/api/scripts/deploy', { name: 'x', source: 'export default () => null', schedule: 'whenever' });
    expect(schedule.status).toBe(400);
    expect(schedule.json.message).toMatch(/invalid schedule/);
    const channel = await post(h.admin, '/api/scripts/deploy', { name: 'x', source: 'export default () => null', channels: ['pigeon'] });
    expect(channel.status).toBe(400);
    expect(channel.json.message).toMatch(/pigeon.*registered: .*rec/);
    expect((await (await h.admin('/api/scripts')).json()).scripts.map((s: any) => s.name)).not.toContain('x');
  });

  it('schedules a script as a recurring job, runs it from the job, and cancels the schedule on delete', async () => {
    const source = `export default async ({ query }) => ({ message: 'scheduled ' + (await query('SELECT 42 AS v')).rows[0].v })`;
    const d = await post(h.admin, '/api/scripts/deploy', { name: 'morning', source, schedule: '0 8 * * *', channels: ['rec'] });
    expect(d.status).toBe(201);
    const id = d.json.id;
    const schedules = () => h.t.host.jobs!.recurringSchedules('aida:script');
    expect(await schedules()).toContainEqual({ script_id: id });
    const job = await h.t.runJob('aida:script', { script_id: id });
    expect(job.ok).toBe(true);
    expect(h.channel.got.at(-1)!.n).toMatchObject({ body: 'scheduled 42', origin: `script:${id}` });
    const runs = await (await h.admin(`/api/scripts/${id}/runs`)).json();
    expect(runs.runs[0]).toMatchObject({ trigger: 'schedule', status: 'ok' });

    // Deployed again without a schedule, it runs on demand only.
    await post(h.admin, '/api/scripts/deploy', { name: 'morning', source, channels: ['rec'] });
    expect(await schedules()).not.toContainEqual({ script_id: id });
    await post(h.admin, '/api/scripts/deploy', { name: 'morning', source, schedule: '*/30 * * * *', channels: ['rec'] });
    expect(await schedules()).toContainEqual({ script_id: id });

    expect((await h.admin(`/api/scripts/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await schedules()).not.toContainEqual({ script_id: id });
    const gone = await h.admin(`/api/scripts/${id}`);
    expect(gone.status).toBe(404);
    expect((await gone.json()).code).toBe('AIDA_SCRIPT_NOT_FOUND');
    expect((await h.admin(`/api/scripts/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('a failing scheduled run fails its job and tells the owner', async () => {
    const d = await post(h.admin, '/api/scripts/deploy', {
      name: 'fails',
      source: "export default () => { throw new Error('boom'); }",
      owner: h.analyst.user.id,
      channels: ['rec'],
    });
    const job = await h.t.runJob('aida:script', { script_id: d.json.id });
    expect(job.ok).toBe(false);
    expect(h.channel.got.at(-1)!.n).toMatchObject({ userId: h.analyst.user.id, title: 'Script fails failed', body: expect.stringMatching(/^error: boom/) });
  });

  it('is for admins only', async () => {
    for (const [method, path] of [
      ['GET', '/api/scripts'],
      ['POST', '/api/scripts/deploy'],
      ['POST', '/api/scripts/run'],
      ['POST', '/api/scripts/x/run'],
      ['DELETE', '/api/scripts/x'],
    ] as const) {
      const res = await h.analyst(path, { method, ...(method === 'POST' ? { body: JSON.stringify({ name: 'n', source: 'export default () => null' }) } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect((await h.t.request('/api/scripts')).status).toBe(401);
  });
});
