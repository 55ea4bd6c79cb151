import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startTestHost } from '@aida/host/testing';
import { post } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

it('at start, each stored rule gets its recurring job and the job of a rule that is gone is cancelled', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'aida-alerts-restart-'));
  dirs.push(dataDir);
  const first = await startTestHost({ dataDir });
  const ada = await first.asUser('analyst');
  const base = { sql: 'SELECT 1 AS x', message: '{{x}}', schedule: '0 0 1 1 *' };
  const kept = (await post(ada, '/api/alerts', { ...base, name: 'kept' })).body;
  const gone = (await post(ada, '/api/alerts', { ...base, name: 'gone' })).body;
  // Removed behind the API's back (a restore of an older system database, say): its schedule stays behind.
  await first.host.systemDb!.run('DELETE FROM alert_rules WHERE id = ?', [gone.id]);
  await first.host.jobs!.cancelEvery('aida:alert', { rule_id: kept.id });
  await first.stop();

  const second = await startTestHost({ dataDir });
  try {
    const scheduled = (await second.host.jobs!.recurringSchedules('aida:alert')).map((d) => d.rule_id);
    expect(scheduled).toContain(kept.id);
    expect(scheduled).not.toContain(gone.id);
  } finally {
    await second.stop();
  }
});
