import { expect } from 'vitest';
import { z } from 'zod';
import { definePlugin, tokens, type AnalystNotes, type JobRegistry } from '@aida/core';
import { startTestHost, type AuthenticatedFetch, type TestHost } from '@aida/host/testing';
import { createProvider, memoryPlugin, parseLlmConfig, type ExtractionBackend } from '../../src/index.js';
import { MemoryStore, type MemoryItem } from '../../src/store/index.js';
import { runExtraction, type ExtractionOutcome, type RunExtractionOptions } from '../../src/extract/run.js';

export const HALF_LIFE = 365 * 86_400_000;

/** What the probe plugin hands the tests: the host's uploaded notes and a job registry (its jobs are `probe:<name>`). */
export interface Probe {
  notes?: AnalystNotes;
  jobs?: JobRegistry;
}

/** A plugin that only captures core's analyst notes and a job registry, for driving the extraction as the memory plugin would. */
export function probePlugin(probe: Probe, onInit?: (p: Required<Probe>) => void) {
  return definePlugin({
    id: 'probe',
    kind: 'extension',
    config: z.object({}),
    deps: { notes: tokens.analystNotes, jobs: tokens.jobs },
    async init({ notes, jobs }) {
      probe.notes = notes;
      probe.jobs = jobs;
      onInit?.({ notes, jobs });
    },
  });
}

export interface ExtractHost {
  t: TestHost;
  notes: AnalystNotes;
  store: MemoryStore;
}

/** A real host with the memory plugin (its tables) and the probe; `config` is the memory plugin's slice. */
export async function startExtractHost(config: Record<string, unknown> = {}, onInit?: (p: Required<Probe>) => void): Promise<ExtractHost> {
  const probe: Probe = {};
  const t = await startTestHost({ plugins: [{ plugin: memoryPlugin, config }, probePlugin(probe, onInit)] });
  return { t, notes: probe.notes!, store: new MemoryStore(t.host.systemDb!, { halfLifeMs: HALF_LIFE }) };
}

/** Uploads `content` as the caller's CLAUDE.local.md, the way `da sync` does. */
export async function uploadNote(as: AuthenticatedFetch, content: string): Promise<void> {
  const res = await as('/api/upload/local-md', { method: 'POST', body: JSON.stringify({ content }) });
  expect(res.status, await res.clone().text()).toBe(201);
}

/** A model backend the way the plugin builds one, with retry waits short enough for tests. */
export function llmBackend(raw: Record<string, unknown>, env: Record<string, string>): ExtractionBackend {
  return createProvider(parseLlmConfig(raw, env), { retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5000 } });
}

export const offline = (): ExtractionBackend => createProvider(parseLlmConfig({}, {}));

/** One run with the test defaults (review, generous budget, one note at a time so the fake's queue is played in order). */
export function extract(h: ExtractHost, backend: ExtractionBackend, over: Partial<RunExtractionOptions> = {}): Promise<ExtractionOutcome> {
  return runExtraction({
    notes: h.notes,
    store: h.store,
    backend,
    approval: 'review',
    budget: { max_calls_per_run: 100, max_tokens_per_run: 10_000_000 },
    concurrency: 1,
    ...over,
  });
}

/** An item as stored, without what is computed at read time (votes, confidence, which decays by the millisecond). */
export type StoredItem = Omit<MemoryItem, 'confidence'>;

/** Every shared item as stored, sorted by id: to compare the store before and after a failing run. */
export async function allItems(store: MemoryStore): Promise<StoredItem[]> {
  const items: StoredItem[] = [];
  for (const { id } of await store.items.dedupeCandidates()) {
    const got = await store.items.get('test-viewer', id);
    if (!got) continue;
    const { confidence: _c, upvotes: _u, downvotes: _d, score: _s, my_vote: _m, ...item } = got;
    items.push(item);
  }
  return items.sort((a, b) => a.id.localeCompare(b.id));
}

/** One answer item as the model gives it. */
export function answerItem(title: string, content: string, o: { category?: string; existing_id?: string | null; tags?: string[] } = {}) {
  return {
    existing_id: o.existing_id ?? null,
    title,
    content,
    category: o.category ?? 'business_logic',
    tags: o.tags ?? [],
    source_users: ['someone@acme.cz'],
  };
}
