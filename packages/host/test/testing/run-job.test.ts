import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, tokens } from '@aida/core';
import { startTestHost } from '@aida/host/testing';

const seen: Record<string, unknown>[] = [];

const reportsPlugin = definePlugin({
  id: 'reports',
  kind: 'service',
  config: z.object({}),
  deps: { jobs: tokens.jobs },
  init({ jobs }) {
    jobs.define(
      'build',
      async ({ data }) => {
        seen.push(data);
        await sleep(60);
      },
      { lockLifetime: '1m', concurrency: 1 },
    );
    jobs.define(
      'send',
      async () => {
        await sleep(20);
        throw new Error('the mail server said 554');
      },
      { lockLifetime: '1m', concurrency: 1 },
    );
  },
});

describe('runJob', () => {
  it('resolves with an ok outcome once the job has run, with its data and duration', async () => {
    const t = await startTestHost({ plugins: [reportsPlugin] });
    const outcome = await t.runJob('reports:build', { month: '2024-05' });
    expect(outcome).toMatchObject({ name: 'reports:build', ok: true });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(50);
    expect(seen).toEqual([{ month: '2024-05' }]);
    // A second run is a run of its own.
    const again = await t.runJob('reports:build', { month: '2024-06' });
    expect(again.ok).toBe(true);
    expect(again.id).not.toBe(outcome.id);
    await t.stop();
  });

  it("resolves with a failing job's error", async () => {
    const t = await startTestHost({ plugins: [reportsPlugin] });
    const outcome = await t.runJob('reports:send');
    expect(outcome).toMatchObject({ name: 'reports:send', ok: false, error: 'the mail server said 554' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(10);
    await t.stop();
  });

  it('reads the outcome when the store drops completed runs too', async () => {
    const t = await startTestHost({ plugins: [reportsPlugin], config: { jobs: { remove_on_complete: true } } });
    expect(await t.runJob('reports:build')).toMatchObject({ ok: true });
    expect(await t.runJob('reports:send')).toMatchObject({ ok: false, error: 'the mail server said 554' });
    await t.stop();
  });

  it('an unknown job is refused', async () => {
    const t = await startTestHost({ plugins: [reportsPlugin] });
    await expect(t.runJob('reports:nope')).rejects.toThrow(/unknown job reports:nope/);
    await t.stop();
  });
});
