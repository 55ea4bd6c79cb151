import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuthenticatedFetch } from '@aida/host/testing';
import { FakeAnthropic, anthropicFailures } from '../fakes/anthropic-server.js';
import { allItems, answerItem, extract, llmBackend, startExtractHost, uploadNote, type ExtractHost } from './helpers.js';
import type { ExtractionBackend } from '../../src/index.js';

const API_KEY = 'sk-ant-api03-fake-key-for-extraction-tests';
const env = { AIDA_TEST_EXTRACT_KEY: API_KEY };
// Secrets in the note, built at run time so no scanner flags this file.
const PG_PASSWORD = `Pg${'9x'.repeat(6)}`;
const OPENAI_KEY = `sk-proj-${'Qw7e'.repeat(8)}`;
const JWT = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEifQ.${'s1G'.repeat(12)}`;
const SECRETS = [PG_PASSWORD, OPENAI_KEY, JWT, JWT.split('.')[2]];

const noteWithSecrets = [
  '# Warehouse',
  `- Connect with postgres://etl:${PG_PASSWORD}@dwh.internal:5432/sales`,
  '- Revenue is net of refunds: use `orders.net_amount`.',
  `- The scoring API takes OPENAI_API_KEY=${OPENAI_KEY}`,
  `- Debug token from the browser: ${JWT}`,
].join('\n');

let fake: FakeAnthropic;
let h: ExtractHost;
let ana: AuthenticatedFetch;
let bo: AuthenticatedFetch;
/** Retries on (429, 529, timeouts), a 1 s timeout per attempt. */
let backend: ExtractionBackend;
/** No retries: a failure fails the note at once. */
let once: ExtractionBackend;

beforeAll(async () => {
  fake = await FakeAnthropic.start({ apiKey: API_KEY });
  const base = { provider: 'anthropic', api_key_env: 'AIDA_TEST_EXTRACT_KEY', base_url: fake.url, timeout: '1s' };
  backend = llmBackend({ ...base, max_retries: 2 }, env);
  once = llmBackend({ ...base, max_retries: 0 }, env);
  h = await startExtractHost();
  ana = await h.t.asUser('analyst');
  bo = await h.t.asUser('analyst');
});
afterAll(async () => {
  await h?.t.stop();
  await fake?.close();
});
beforeEach(() => {
  expect(fake.pending, 'every scripted answer was used').toBe(0);
  fake.requests.length = 0;
  fake.respond = undefined;
});

const sentText = () => JSON.stringify(fake.requests.map((r) => r.body));
const userMessageOf = (i: number): string => fake.messages[i].messages[0].content;

describe('extraction against a local Anthropic Messages API', () => {
  it('sends the scrubbed note once, stores the validated items, and never lets a secret reach the model or the store', async () => {
    await uploadNote(ana, noteWithSecrets);
    fake.enqueue({
      kind: 'tool_use',
      input: {
        items: [
          answerItem('Revenue is net of refunds', 'Use `orders.net_amount` for revenue; `gross_amount` includes refunds.', { tags: ['Revenue', 'orders'] }),
          // A model echoing a redaction, or personal data, is dropped by the sensitivity check.
          answerItem('Warehouse connection', 'Connect with postgres://[REDACTED:connection_string]@dwh.internal:5432/sales', { category: 'infrastructure' }),
          answerItem('Ask Ana', 'Ask ana.novakova@acme.cz before changing the model.', { category: 'workflow' }),
        ],
      },
      usage: { input_tokens: 900, output_tokens: 120 },
    });
    const outcome = await extract(h, backend);
    expect(outcome).toMatchObject({
      notes_seen: 1,
      notes_changed: 1,
      notes_failed: 0,
      items_created: 1,
      dropped_unsafe: 2,
      secrets_scrubbed: 3,
      llm: { provider: 'anthropic', calls: 1, input_tokens: 900, output_tokens: 120, exhausted: false },
    });

    // What the model saw: the trust boundary, the note between nonce markers, every secret redacted.
    expect(fake.messages).toHaveLength(1);
    const body = fake.messages[0];
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'knowledge_items' });
    expect(body.system).toMatch(/TRUST BOUNDARY/);
    const user = userMessageOf(0);
    expect(user).toMatch(/<<<UNTRUSTED_NOTES_[0-9a-f]{16}>>>\n# Warehouse/);
    expect(user).toContain('postgres://[REDACTED:connection_string]@dwh.internal:5432/sales');
    expect(user).toContain('[REDACTED:jwt]');
    expect(user).toContain(`Notes of ${ana.user.email}`);
    for (const s of SECRETS) expect(sentText()).not.toContain(s);

    const items = await allItems(h.store);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      title: 'Revenue is net of refunds',
      category: 'business_logic',
      tags: ['revenue', 'orders'],
      status: 'pending',
      // The note's author, whatever the model claimed.
      source_users: [ana.user.email],
    });
    for (const s of SECRETS) expect(JSON.stringify(items)).not.toContain(s);
  });

  it('an unchanged note is not sent again', async () => {
    const outcome = await extract(h, backend);
    expect(outcome).toMatchObject({ notes_changed: 0, llm: { calls: 0 } });
    expect(fake.requests).toHaveLength(0);
  });

  it('lists the catalogue for the next note and merges into the item the model names, keeping its status', async () => {
    const [revenue] = await allItems(h.store);
    await h.store.governance.act('km-admin', 'approve', revenue.id);
    await uploadNote(bo, '# Finance\n- Revenue: always net of refunds, from `orders.net_amount` (gross includes refunds).\n');
    fake.enqueue({
      kind: 'tool_use',
      input: {
        items: [
          answerItem('Revenue is net of refunds', 'Revenue is always net of refunds: use `orders.net_amount`; `gross_amount` includes refunds.', {
            existing_id: revenue.id,
            tags: ['finance'],
          }),
        ],
      },
    });
    const outcome = await extract(h, backend);
    expect(outcome).toMatchObject({ notes_changed: 1, items_created: 0, items_merged: 1, llm: { calls: 1 } });
    expect(userMessageOf(0)).toContain(`- ${revenue.id} | business_logic | Revenue is net of refunds`);
    const [merged] = await allItems(h.store);
    expect(merged).toMatchObject({ id: revenue.id, status: 'approved', content: expect.stringContaining('always net of refunds') });
    expect(merged.tags.sort()).toEqual(['finance', 'orders', 'revenue']);
    expect(merged.source_users.sort()).toEqual([ana.user.email, bo.user.email].sort());
  });
});

describe('failures of the model: nothing stored is lost or duplicated, and the failed note is retried next run', () => {
  let n = 0;
  /** A new version of Ana's note, so the next run looks at it. */
  const changeNote = () => uploadNote(ana, `${noteWithSecrets}\n- Version ${++n}: the \`events\` table is partitioned by \`event_date\`.\n`);
  const good = (title = 'Events are partitioned by day') => ({
    kind: 'tool_use' as const,
    input: { items: [answerItem(title, 'Filter `events` on `event_date`: the table is partitioned by it.', { category: 'performance' })] },
  });

  it('429 with retry-after is waited out and retried; so is a 529', async () => {
    await changeNote();
    fake.enqueue(anthropicFailures.rateLimited(1), anthropicFailures.overloaded(), good());
    const outcome = await extract(h, backend);
    expect(outcome).toMatchObject({ notes_failed: 0, items_created: 1, llm: { calls: 1 } });
    expect(fake.requests).toHaveLength(3);
    // The retry came after the retry-after second.
    expect(fake.requests[1].at - fake.requests[0].at).toBeGreaterThanOrEqual(950);
    expect((await h.store.notes.noteState(ana.user.id))?.status).toBe('processed');
  });

  it('a timeout is retried; the same item again is not duplicated', async () => {
    await changeNote();
    const before = await allItems(h.store);
    fake.enqueue({ kind: 'delay', ms: 1500, then: good() }, good());
    const outcome = await extract(h, backend);
    expect(outcome).toMatchObject({ notes_failed: 0, items_created: 0 });
    expect(outcome.items_merged + outcome.items_unchanged).toBe(1);
    expect((await allItems(h.store)).map((i) => i.id)).toEqual(before.map((i) => i.id));
  });

  /**
   * Each case: how the model fails, the calls that takes, the error the note fails with (so a
   * failure the fake did not script, such as its "no scripted answer", fails the case), and the
   * distinct item the next run then stores.
   */
  const failures: [string, () => void, number, string, [string, string]][] = [
    [
      'a timeout on every attempt',
      () => fake.enqueue({ kind: 'delay', ms: 1500 }),
      1,
      'LLM_TIMEOUT',
      ['Invoices are in CZK', 'Amounts in `billing.invoices` are CZK including VAT.'],
    ],
    [
      'a 529 without retries left',
      () => fake.enqueue(anthropicFailures.overloaded()),
      1,
      'LLM_OVERLOADED',
      ['Sessions time out after 30 minutes', 'Web sessions in `web.sessions` end after 30 minutes idle.'],
    ],
    [
      'a refusal (never retried)',
      () => fake.enqueue({ kind: 'refusal' }),
      1,
      'LLM_REFUSED',
      ['Fiscal year starts in April', 'Finance reports use a fiscal year from April to March.'],
    ],
    [
      'malformed JSON twice (retried once)',
      () => fake.enqueue({ kind: 'malformed' }, { kind: 'malformed' }),
      2,
      'LLM_INVALID_ANSWER',
      ['Trials last 14 days', 'A trial account converts or expires after 14 days.'],
    ],
    [
      'a truncated answer twice',
      () => fake.enqueue({ kind: 'truncated', input: { items: [{ title: 'Half' }] } }, { kind: 'truncated' }),
      2,
      'LLM_INVALID_ANSWER',
      ['Deploys freeze on Fridays', 'No dashboard deploys after Friday noon; wait for Monday.'],
    ],
    [
      'a partial answer twice (fields missing)',
      () => fake.enqueue(...[1, 2].map(() => ({ kind: 'tool_use' as const, input: { items: [{ title: 'No content' }] } }))),
      2,
      'LLM_INVALID_ANSWER',
      ['Country codes are ISO alpha-2', 'The `country` column everywhere holds ISO 3166 alpha-2 codes.'],
    ],
    [
      'no tool call, then a wrong category',
      () =>
        fake.enqueue({ kind: 'text', text: 'Here are the items…' }, { kind: 'tool_use', input: { items: [{ ...answerItem('x', 'y'), category: 'gossip' }] } }),
      2,
      'LLM_INVALID_ANSWER',
      ['Jira webhooks retry three times', 'The Jira webhook is retried three times, then dropped; check `jira.failed_hooks`.'],
    ],
  ];

  it.each(failures)('%s: the note is marked failed, the store is unchanged, the next run retries it', async (_name, script, calls, code, [title, content]) => {
    await changeNote();
    const before = await allItems(h.store);
    script();
    const outcome = await extract(h, once);
    expect(outcome).toMatchObject({ notes_changed: 1, notes_failed: 1, items_created: 0, items_merged: 0 });
    expect(outcome.failures).toEqual([{ user_id: ana.user.id, error: expect.stringMatching(new RegExp(`^${code}:`)) }]);
    expect(fake.requests).toHaveLength(calls);
    expect(await allItems(h.store)).toEqual(before);
    const state = await h.store.notes.noteState(ana.user.id);
    expect(state).toMatchObject({ status: 'failed', error: expect.stringMatching(new RegExp(`^${code}:`)) });

    // Next run: the same (unchanged) note is asked about again and this time stored.
    fake.requests.length = 0;
    fake.enqueue({ kind: 'tool_use', input: { items: [answerItem(title, content)] } });
    const retried = await extract(h, once);
    expect(retried).toMatchObject({ notes_changed: 1, notes_failed: 0, items_created: 1 });
    expect(fake.requests).toHaveLength(1);
    expect((await h.store.notes.noteState(ana.user.id))?.status).toBe('processed');
    const after = await allItems(h.store);
    expect(after).toHaveLength(before.length + 1);
    expect(new Set(after.map((i) => i.title)).size).toBe(after.length);
  });

  it('an invalid answer is asked for once more, with the reason; a truncated one with twice the token cap', async () => {
    await changeNote();
    fake.enqueue(
      { kind: 'truncated', input: { items: [] } },
      { kind: 'tool_use', input: { items: [answerItem('Refunds post next day', 'Refunds reach `orders` one day late.')] } },
    );
    const outcome = await extract(h, once);
    expect(outcome).toMatchObject({ notes_failed: 0, items_created: 1, llm: { calls: 2 } });
    expect(fake.messages.map((m) => m.max_tokens)).toEqual([4096, 8192]);
    expect(userMessageOf(1)).toMatch(/previous answer could not be used \(it was cut off at the token limit/);
  });

  it('a run whose budget runs out defers the remaining notes without marking them', async () => {
    await changeNote();
    await uploadNote(bo, '# Finance\n- Fiscal year starts in April.\n');
    fake.respond = () => good();
    const outcome = await extract(h, once, { budget: { max_calls_per_run: 1, max_tokens_per_run: 1_000_000 } });
    expect(outcome).toMatchObject({ notes_changed: 2, notes_failed: 0, notes_deferred: 1, llm: { calls: 1, exhausted: true } });
    expect(fake.requests).toHaveLength(1);
    const next = await extract(h, once);
    expect(next).toMatchObject({ notes_changed: 1, notes_deferred: 0, llm: { calls: 1 } });
  });
});
