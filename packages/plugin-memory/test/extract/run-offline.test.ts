import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticatedFetch } from '@aida/host/testing';
import { allItems, extract, offline, startExtractHost, uploadNote, type ExtractHost } from './helpers.js';

const KEY = `sk-ant-api03-${'Zq8'.repeat(12)}`;

const note = [
  '# Sales data',
  '',
  '- **Net revenue**: use `orders.net_amount`; `gross_amount` still includes refunded orders.',
  '- The `orders` table has one row per order line, not per order.',
  '',
  '## Debugging',
  '',
  '* When the Keboola export fails with 429, wait for the retry-after and rerun the job.',
  `* Staging key for the demo: ${KEY}`,
  '* Petr is on sick leave until March, ask Eva instead.',
  '',
  'Rule: never join `hr.salaries` to names in a shared dashboard.',
  '',
  'Just a paragraph with thoughts, not an item.',
].join('\n');

let h: ExtractHost;
let ana: AuthenticatedFetch;

beforeAll(async () => {
  h = await startExtractHost();
  ana = await h.t.asUser('analyst');
});
afterAll(() => h?.t.stop());

describe('extraction with the offline extractor (no LLM configured)', () => {
  it('extracts items from headings and bullets, drops the unsafe ones, scrubs secrets, and marks the note done', async () => {
    await uploadNote(ana, note);
    const outcome = await extract(h, offline());
    expect(outcome).toMatchObject({
      notes_seen: 1,
      notes_changed: 1,
      notes_failed: 0,
      items_created: 4,
      items_merged: 0,
      dropped_unsafe: 2,
      secrets_scrubbed: 1,
      llm: { provider: 'offline', calls: 0, exhausted: false },
    });
    expect(outcome.dropped.map((d) => d.reason)).toEqual([expect.stringMatching(/redacted/), expect.stringMatching(/named person/)]);
    expect(outcome.dropped.every((d) => d.user_id === ana.user.id)).toBe(true);
    // Each drop is a line of the governance audit, with the reason and no item.
    const drops = await h.store.audit.list({ action: 'extract_drop', limit: 10, offset: 0 });
    expect(drops.total).toBe(2);
    expect(drops.entries.map((e) => e.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/redacted/), expect.stringMatching(/named person/)]));
    expect(drops.entries.every((e) => e.item_id === null && e.actor_id === null && e.reason!.includes(ana.user.email))).toBe(true);

    const items = await allItems(h.store);
    expect(items.map((i) => i.title).sort()).toEqual(
      [
        'Net revenue',
        'Sales data: The `orders` table has one row per order line, not per order',
        'Debugging: When the Keboola export fails with 429, wait for the retry-after and rerun the job',
        'Debugging: never join `hr.salaries` to names in a shared dashboard',
      ].sort(),
    );
    const byTitle = new Map(items.map((i) => [i.title, i]));
    expect(byTitle.get('Net revenue')).toMatchObject({ category: 'data_analysis', status: 'pending', source_type: 'claude_local_md', tags: ['sales-data'] });
    expect(byTitle.get('Net revenue')!.content).toContain('`orders.net_amount`');
    expect(byTitle.get('Debugging: When the Keboola export fails with 429, wait for the retry-after and rerun the job')?.category).toBe('debugging');
    for (const i of items) {
      expect(i.source_users).toEqual([ana.user.email]);
      expect(i.sources).toEqual([{ user_id: ana.user.id, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
      expect(JSON.stringify(i)).not.toContain(KEY.slice(14));
      expect(i.content).not.toContain('sick leave');
    }
    expect(await h.store.notes.noteState(ana.user.id)).toMatchObject({ status: 'processed', sha256: items[0].sources[0].sha256, error: null });
    const audit = await h.store.audit.list({ action: 'extract_create', limit: 50, offset: 0 });
    expect(audit.total).toBe(4);
  });

  it('an unchanged note is not looked at again; a changed one adds only what is new', async () => {
    const before = await allItems(h.store);
    const again = await extract(h, offline());
    expect(again).toMatchObject({ notes_seen: 1, notes_changed: 0, items_created: 0, items_merged: 0, items_unchanged: 0 });
    expect(await allItems(h.store)).toEqual(before);

    await uploadNote(ana, `${note}\n\n## Workflow\n\n- Review every dashboard change with a second analyst before publishing.\n`);
    const changed = await extract(h, offline());
    expect(changed).toMatchObject({ notes_changed: 1, items_created: 1, notes_failed: 0 });
    // The items already stored matched themselves again: their source moved to the new version, nothing was duplicated.
    expect(changed.items_merged + changed.items_unchanged).toBe(4);
    const after = await allItems(h.store);
    expect(after).toHaveLength(5);
    expect(new Set(after.map((i) => i.sources[0].sha256)).size).toBe(1);
  });

  it('a colleague restating an item merges into it (new source user, same id and status), and auto approval approves new ones', async () => {
    const bo = await h.t.asUser('analyst');
    await uploadNote(
      bo,
      '# Sales data\n\n- The `orders` table has exactly one row per order line, not per order.\n- Fiscal year starts in April for revenue reports.\n',
    );
    const before = (await allItems(h.store)).find((i) => i.content.startsWith('The `orders` table has one row'))!;
    const outcome = await extract(h, offline(), { approval: 'auto' });
    expect(outcome).toMatchObject({ notes_changed: 1, items_created: 1, items_merged: 1 });
    const items = await allItems(h.store);
    const merged = items.find((i) => i.id === before.id)!;
    expect(merged).toMatchObject({ status: 'pending', title: before.title, content: before.content });
    expect(merged.source_users.sort()).toEqual([ana.user.email, bo.user.email].sort());
    expect(items.find((i) => i.content.startsWith('Fiscal year'))?.status).toBe('approved');
  });

  it('an empty note is skipped, not failed', async () => {
    const cy = await h.t.asUser('analyst');
    await uploadNote(cy, '   \n');
    const outcome = await extract(h, offline());
    expect(outcome).toMatchObject({ notes_changed: 1, notes_failed: 0, items_created: 0 });
    expect((await h.store.notes.noteState(cy.user.id))?.status).toBe('skipped');
  });
});
