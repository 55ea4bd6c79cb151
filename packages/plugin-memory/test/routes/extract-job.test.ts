import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticatedFetch, TestHost } from '@aida/host/testing';
import { json, startMemoryHost } from './helpers.js';

const note = `# Revenue
- Revenue in \`finance.orders\` is net of refunds and excludes VAT.
- Rule: fiscal quarters start in April.

## Access
- The warehouse password: hunter2-secret-42
`;

let t: TestHost;
let analyst: AuthenticatedFetch;
let kmAdmin: AuthenticatedFetch;

beforeAll(async () => {
  // No llm config: the offline extractor, so a fresh instance learns from notes without a model.
  t = await startMemoryHost({ extract: { approval: 'review' } });
  analyst = await t.asUser('analyst');
  kmAdmin = await t.asUser('km_admin');
});
afterAll(() => t?.stop());

describe('the memory:extract job of the plugin', () => {
  it("turns an analyst's uploaded notes into pending items, once, with the secrets left behind", async () => {
    await json(analyst, 'POST', '/api/upload/local-md', 201, { content: note });
    const first = await t.runJob('memory:extract');
    expect(first.ok).toBe(true);
    const pending = await json(kmAdmin, 'GET', '/api/memory/admin/pending', 200);
    const texts = pending.items.map((i: { title: string; content: string }) => `${i.title}\n${i.content}`);
    expect(texts.some((x: string) => x.includes('net of refunds'))).toBe(true);
    expect(texts.some((x: string) => x.includes('April'))).toBe(true);
    expect(texts.join('\n')).not.toContain('hunter2-secret-42');
    for (const item of pending.items) expect(item.status).toBe('pending');
    // The note did not change: a second run stores nothing new.
    expect((await t.runJob('memory:extract')).ok).toBe(true);
    expect((await json(kmAdmin, 'GET', '/api/memory/admin/pending', 200)).items).toHaveLength(pending.items.length);
  });

  it('is listed with its schedule and can be run from the jobs admin API', async () => {
    const admin = await t.asAdmin();
    const jobs = await json(admin, 'GET', '/api/admin/jobs', 200);
    expect(jobs.jobs.find((j: { name: string }) => j.name === 'memory:extract')).toMatchObject({ schedule: '*/30 * * * *', enabled: true });
    expect((await json(admin, 'POST', '/api/admin/jobs/memory:extract/run', 202)).name).toBe('memory:extract');
    // Each run keeps what it reported: notes read and changed, items created, LLM use (none offline).
    const runs = await json(admin, 'GET', '/api/admin/jobs/memory:extract/runs', 200);
    const first = runs.runs.at(-1);
    expect(first.outcome).toMatchObject({ notes_seen: 1, notes_changed: 1, notes_failed: 0, llm: { calls: 0 } });
    expect(first.outcome.items_created).toBeGreaterThanOrEqual(2);
    expect(runs.runs[0].outcome).toMatchObject({ notes_changed: 0, items_created: 0 });
    const page = await admin('/admin/jobs/runs?name=memory:extract', { headers: { accept: 'text/html' } });
    expect(await page.text()).toMatch(/<dt>items created<\/dt><dd>\d+<\/dd>/);
  });
});
