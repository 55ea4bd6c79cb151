import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuthenticatedFetch } from '@aida/host/testing';
import { FakeOpenAi, openAiFailures } from '../fakes/openai-server.js';
import { allItems, answerItem, extract, llmBackend, startExtractHost, uploadNote, type ExtractHost } from './helpers.js';
import type { ExtractionBackend } from '../../src/index.js';

const API_KEY = 'sk-test-openai-key-for-extraction';
const GITHUB = `ghp_${'aB3dE5fG7h'.repeat(4)}`;
const PEM = ['-----BEGIN PRIVATE KEY-----', 'MIIEvQ'.repeat(12), 'Zm9vYmFy'.repeat(8), '-----END PRIVATE KEY-----'].join('\n');

let fake: FakeOpenAi;
let h: ExtractHost;
let ana: AuthenticatedFetch;
let backend: ExtractionBackend;
let once: ExtractionBackend;

beforeAll(async () => {
  fake = await FakeOpenAi.start({ apiKey: API_KEY });
  const base = { provider: 'openai-compatible', api_key_env: 'AIDA_TEST_OPENAI_KEY', model: 'gpt-4.1-mini', base_url: fake.baseURL, timeout: '1s' };
  backend = llmBackend({ ...base, max_retries: 2 }, { AIDA_TEST_OPENAI_KEY: API_KEY });
  once = llmBackend({ ...base, max_retries: 0 }, { AIDA_TEST_OPENAI_KEY: API_KEY });
  h = await startExtractHost();
  ana = await h.t.asUser('analyst');
});
afterAll(async () => {
  await h?.t.stop();
  await fake?.close();
});
beforeEach(() => {
  expect(fake.pending).toBe(0);
  fake.requests.length = 0;
  fake.respond = undefined;
});

const json = (items: unknown[]) => ({ kind: 'json' as const, value: { items } });

describe('extraction against a local OpenAI chat completions API', () => {
  it('asks with a strict json_schema, stores the answer, and sends no secret', async () => {
    await uploadNote(ana, `# Tooling\n- Deploy key: ${GITHUB}\n- CI runs \`make check\` before merge.\n\n${PEM}\n`);
    fake.enqueue(json([answerItem('CI runs make check', 'Every merge runs `make check` in CI first.', { category: 'workflow' })]));
    const outcome = await extract(h, backend);
    expect(outcome).toMatchObject({ notes_changed: 1, items_created: 1, secrets_scrubbed: 2, llm: { provider: 'openai-compatible', calls: 1 } });
    const [body] = fake.completions;
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'knowledge_items', strict: true } });
    expect(body.messages[0]).toMatchObject({ role: 'system', content: expect.stringMatching(/TRUST BOUNDARY/) });
    const sent = JSON.stringify(fake.requests.map((r) => r.body));
    expect(sent).toContain('[REDACTED:github_token]');
    expect(sent).toContain('[REDACTED:private_key]');
    expect(sent).not.toContain(GITHUB);
    expect(sent).not.toContain('MIIEvQ');
    expect((await allItems(h.store)).map((i) => i.title)).toEqual(['CI runs make check']);
  });

  it('429 with retry-after, then a 500, then the answer: one note, one call, stored once', async () => {
    await uploadNote(ana, '# Tooling\n- CI runs `make check` before merge.\n- Releases are tagged vX.Y.Z.\n');
    fake.enqueue(
      openAiFailures.rateLimited(1),
      openAiFailures.serverError(),
      json([
        answerItem('CI runs make check', 'Every merge runs `make check` in CI first.', { category: 'workflow' }),
        answerItem('Release tags', 'Releases are tagged `vX.Y.Z` on main.', { category: 'workflow' }),
      ]),
    );
    const outcome = await extract(h, backend);
    // The known item matched itself; only its source moved to the new version of the note.
    expect(outcome).toMatchObject({ notes_failed: 0, items_created: 1, items_merged: 1, llm: { calls: 1 } });
    expect(fake.requests).toHaveLength(3);
    expect((await allItems(h.store)).map((i) => i.title).sort()).toEqual(['CI runs make check', 'Release tags']);
  });

  /** Each case: how the model fails, the calls that takes, and the error the note fails with (not one the fake did not script). */
  const failures: [string, () => void, number, string][] = [
    ['a timeout', () => fake.enqueue({ kind: 'delay', ms: 1500 }), 1, 'LLM_TIMEOUT'],
    ['a refusal', () => fake.enqueue({ kind: 'refusal', refusal: "I can't help with that." }), 1, 'LLM_REFUSED'],
    ['a content filter', () => fake.enqueue({ kind: 'content_filter' }), 1, 'LLM_REFUSED'],
    ['malformed JSON twice', () => fake.enqueue({ kind: 'malformed' }, { kind: 'malformed' }), 2, 'LLM_INVALID_ANSWER'],
    ['truncated JSON twice', () => fake.enqueue({ kind: 'truncated' }, { kind: 'truncated' }), 2, 'LLM_INVALID_ANSWER'],
    [
      'content that is not JSON, then a partial answer',
      () => fake.enqueue({ kind: 'content', content: '{"items": [' }, json([{ title: 'only a title' }])),
      2,
      'LLM_INVALID_ANSWER',
    ],
  ];

  it.each(failures)('%s: the note fails, nothing stored changes, the next run stores it once', async (name, script, calls, code) => {
    await uploadNote(ana, `# Tooling\n- CI runs \`make check\` before merge.\n- Releases are tagged vX.Y.Z.\n- Case: ${name}.\n`);
    const before = await allItems(h.store);
    script();
    const outcome = await extract(h, once);
    expect(outcome).toMatchObject({ notes_failed: 1, items_created: 0, items_merged: 0 });
    expect(outcome.failures).toEqual([{ user_id: ana.user.id, error: expect.stringMatching(new RegExp(`^${code}:`)) }]);
    expect(fake.requests).toHaveLength(calls);
    expect(await allItems(h.store)).toEqual(before);
    expect((await h.store.notes.noteState(ana.user.id))?.status).toBe('failed');

    fake.requests.length = 0;
    fake.enqueue(json([answerItem(`Failure case ${name}`, `The extraction survived ${name} and stored this once.`, { category: 'debugging' })]));
    const next = await extract(h, once);
    expect(next).toMatchObject({ notes_changed: 1, notes_failed: 0, items_created: 1 });
    expect(fake.requests).toHaveLength(1);
    const after = await allItems(h.store);
    expect(after).toHaveLength(before.length + 1);
    expect(after.filter((i) => i.title === `Failure case ${name}`)).toHaveLength(1);
  });
});
