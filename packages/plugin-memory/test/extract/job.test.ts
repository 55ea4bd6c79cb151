import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, tokens, type LlmProvider } from '@aida/core';
import { startTestHost, type AuthenticatedFetch, type TestHost } from '@aida/host/testing';
import { memoryConfigSchema, memoryPlugin } from '../../src/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { defineExtractJob } from '../../src/extract/job.js';
import type { ExtractionOutcome } from '../../src/extract/run.js';
import { FakeAnthropic } from '../fakes/anthropic-server.js';
import { HALF_LIFE, allItems, answerItem, llmBackend, uploadNote } from './helpers.js';

const API_KEY = 'sk-ant-api03-job-test-key';

let fake: FakeAnthropic;
let t: TestHost;
let ana: AuthenticatedFetch;
const outcomes: ExtractionOutcome[] = [];
const logged: { level: string; obj: object; msg: string }[] = [];

/**
 * Defines the extraction job the way the memory plugin does (it is `probe:extract` here, the
 * job of the plugin that defines it), over the memory plugin's tables.
 */
function jobPlugin(provider: () => LlmProvider) {
  return definePlugin({
    id: 'probe',
    kind: 'extension',
    config: z.object({}),
    deps: { database: tokens.database, notes: tokens.analystNotes, jobs: tokens.jobs },
    async init({ database, notes, jobs }) {
      const config = memoryConfigSchema.parse({ extract: { schedule: '0 3 * * *' } });
      defineExtractJob(jobs, {
        store: new MemoryStore(database, { halfLifeMs: HALF_LIFE }),
        notes,
        config,
        logger: {
          info: (obj, msg) => logged.push({ level: 'info', obj, msg }),
          warn: (obj, msg) => logged.push({ level: 'warn', obj, msg }),
        },
        // Through a getter, so the test builds the provider once the fake listens.
        backend: { kind: 'llm', provider: { id: 'anthropic', model: 'claude-haiku-4-5', complete: (r, s) => provider().complete(r, s) } },
        onOutcome: (o) => outcomes.push(o),
      });
    },
  });
}

beforeAll(async () => {
  fake = await FakeAnthropic.start({ apiKey: API_KEY });
  const backend = llmBackend({ provider: 'anthropic', api_key_env: 'K', base_url: fake.url, max_retries: 0 }, { K: API_KEY });
  if (backend.kind !== 'llm') throw new Error('expected an LLM backend');
  t = await startTestHost({ plugins: [{ plugin: memoryPlugin, config: {} }, jobPlugin(() => backend.provider)] });
  ana = await t.asUser('analyst');
});
afterAll(async () => {
  await t?.stop();
  await fake?.close();
});

describe('the extract job', () => {
  it('runs on demand through the jobs admin API, stores items, and logs its outcome', async () => {
    await uploadNote(ana, '# Sales\n- Revenue is net of refunds.\n');
    fake.enqueue({ kind: 'tool_use', input: { items: [answerItem('Revenue is net of refunds', 'Use `orders.net_amount` for revenue.')] } });
    const admin = await t.asAdmin();
    const queued = await admin('/api/admin/jobs/probe:extract/run', { method: 'POST', body: '{}' });
    expect(queued.status).toBe(202);
    await expect.poll(() => outcomes.length, { timeout: 10_000 }).toBe(1);
    expect(outcomes[0]).toMatchObject({ notes_changed: 1, items_created: 1, llm: { calls: 1 } });
    const line = logged.find((l) => l.msg === 'memory extraction finished');
    expect(line).toMatchObject({ level: 'info', obj: { items_created: 1, notes_failed: 0 } });
    const items = await allItems(new MemoryStore(t.host.systemDb!, { halfLifeMs: HALF_LIFE }));
    expect(items.map((i) => i.title)).toEqual(['Revenue is net of refunds']);

    type Listed = { name: string }[] | { jobs: { name: string }[] };
    const listed = (await (await admin('/api/admin/jobs')).json()) as Listed;
    const job = (Array.isArray(listed) ? listed : listed.jobs).find((j) => j.name === 'probe:extract');
    expect(job).toMatchObject({ name: 'probe:extract' });
    expect(JSON.stringify(job)).toContain('0 3 * * *');
  });

  it('fails with the LLM error when every changed note failed, and succeeds on the next run', async () => {
    await uploadNote(ana, '# Sales\n- Revenue is net of refunds.\n- Churn is 90 days without an order.\n');
    fake.enqueue({ kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' });
    const failed = await t.runJob('probe:extract');
    expect(failed.ok).toBe(false);
    expect(failed.ok === false && failed.error).toMatch(/Anthropic|401|x-api-key/i);
    expect(logged.at(-1)).toMatchObject({
      level: 'warn',
      obj: { notes_failed: 1, failures: [{ user_id: ana.user.id, error: expect.stringMatching(/^LLM_UPSTREAM_ERROR/) }] },
    });

    fake.enqueue({ kind: 'tool_use', input: { items: [answerItem('Churn after 90 days', 'A customer churns after 90 days without an order.')] } });
    const ok = await t.runJob('probe:extract');
    expect(ok.ok).toBe(true);
    expect(outcomes.at(-1)).toMatchObject({ notes_changed: 1, notes_failed: 0, items_created: 1 });
  });
});
