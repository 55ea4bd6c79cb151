import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '@aida/host/testing';

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost({ config: { alerts: { enabled: false } } });
});
afterAll(() => t?.stop());

it('alerts.enabled: false serves no alert routes or page and defines no alert job', async () => {
  const ada = await t.asUser('analyst');
  expect((await ada('/api/alerts')).status).toBe(404);
  expect((await ada('/api/alerts', { method: 'POST', body: '{}' })).status).toBe(404);
  expect((await ada('/alerts')).status).toBe(404);
  expect(t.host.jobs!.defined().map((d) => d.name)).not.toContain('aida:alert');
});
