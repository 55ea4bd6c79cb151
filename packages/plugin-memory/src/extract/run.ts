/**
 * One extraction run over the analysts' notes that changed since the last run: scrub, ask the
 * model (or the offline extractor), check sensitivity, dedupe, store, and only then record the
 * note's hash. A note whose extraction fails is recorded as failed and tried again next run;
 * nothing it would have changed is written, because items are stored only once every call for
 * the note has answered, and then in one transaction with the note's hash.
 */
import { type AnalystNote, type AnalystNotes, type LlmFailure, LlmInvalidAnswerError, type LlmProvider } from '@aida/core';
import type { ApprovalMode } from '../config.js';
import type { LlmBudget } from '../llm/budget.js';
import { runBudget, type ExtractionBackend, type LlmConfig } from '../llm/config.js';
import type { OfflineExtractor } from '../llm/offline.js';
import type { ExtractionBatch, MemoryStore } from '../store/index.js';
import { features, judge, type TextFeatures } from './dedupe.js';
import { KnownItems, type NoteDraft } from './known.js';
import { EXTRACTION_SCHEMA_NAME, extractionAnswerSchema, newNonce, splitNote, systemPrompt, userMessage, type ExtractedCandidate } from './prompt.js';
import { normalize, type Candidate } from './candidate.js';
import { emptyOutcome, type ExtractionOutcome } from './outcome.js';
import { scrubSecrets } from './scrub.js';
import { sensitivityVerdict } from './sensitivity.js';

export type { ExtractionOutcome } from './outcome.js';

/** What the run logs through; a pino logger is one. */
export interface ExtractLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What the run needs of the memory store: items (catalogue, a note's upserts, drops and state in one transaction) and the notes' state. */
export type ExtractionStore = Pick<MemoryStore, 'items' | 'notes'>;

export interface RunExtractionOptions {
  notes: AnalystNotes;
  store: ExtractionStore;
  /** The model (already retried) or the offline extractor: `createProvider(config.llm)`. */
  backend: ExtractionBackend;
  approval: ApprovalMode;
  /** The run's caps on calls and tokens. */
  budget: Pick<LlmConfig, 'max_calls_per_run' | 'max_tokens_per_run'>;
  logger?: ExtractLogger;
  signal?: AbortSignal;
  /** Notes asked about at once (default 4); storing is one note at a time whatever this is. */
  concurrency?: number;
  /** Cap on the tokens of one answer (default 4096; doubled for the retry of a truncated answer). */
  maxAnswerTokens?: number;
  /** The markers' nonce (default: a fresh random one per run). */
  nonce?: string;
  /** Told of each note that failed, with the error itself (the outcome keeps only its text). */
  onNoteFailed?: (userId: string, error: unknown) => void;
}

const DEFAULT_ANSWER_TOKENS = 4096;
/** A model-named existing id is honoured only when the candidate is plausibly about that item. */
const EXISTING_ID_MIN_SIMILARITY = 0.2;

type NoteResult = { kind: 'ok'; candidates: Candidate[] } | { kind: 'empty' } | { kind: 'failed'; error: string; cause: unknown } | { kind: 'deferred' };

function isLlmFailure(e: unknown): e is LlmFailure {
  return e instanceof Error && typeof (e as Partial<LlmFailure>).llmFailure === 'string';
}

function describeError(e: unknown): string {
  const text = e instanceof Error ? `${(e as Partial<LlmFailure>).code ?? e.name}: ${e.message}` : String(e);
  return text.length > 500 ? `${text.slice(0, 499)}…` : text;
}

/** Runs one extraction over the changed notes; see the file's comment. Never throws for one note's failure. */
export async function runExtraction(o: RunExtractionOptions): Promise<ExtractionOutcome> {
  const budget: LlmBudget | undefined = o.backend.kind === 'llm' ? runBudget(o.backend.provider, o.budget) : undefined;
  const provider: LlmProvider | undefined = budget;
  const extractor: OfflineExtractor | undefined = o.backend.kind === 'offline' ? o.backend.extractor : undefined;
  const nonce = o.nonce ?? newNonce();
  const outcome = emptyOutcome(provider?.id ?? 'offline');

  const all = await o.notes.list();
  outcome.notes_seen = all.length;
  const changed: AnalystNote[] = [];
  for (const note of all) {
    const state = await o.store.notes.noteState(note.userId);
    if (!state || state.sha256 !== note.sha256 || state.status === 'failed') changed.push(note);
  }
  outcome.notes_changed = changed.length;
  if (!changed.length) return finish();

  // Every shared item, by id and by words; the model sees the approved and pending ones.
  const known = new KnownItems();
  for (const item of await o.store.items.dedupeCandidates()) known.remember(item);

  // Storing is serialized: each note's candidates are deduped against everything stored before them, this run's items included.
  let storing: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = storing.then(fn);
    storing = next.catch(() => undefined);
    return next;
  };

  let stop = false;
  const queue = [...changed];
  const worker = async () => {
    for (let note = queue.shift(); note; note = queue.shift()) {
      if (stop || o.signal?.aborted) {
        outcome.notes_deferred++;
        continue;
      }
      const result = await extractNote(note);
      await serialized(() => settle(note, result));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 4, changed.length)) }, worker));
  await storing;
  outcome.aborted = Boolean(o.signal?.aborted) && outcome.notes_deferred > 0;
  return finish();

  function finish(): ExtractionOutcome {
    if (budget) {
      const r = budget.report();
      outcome.llm = { provider: budget.id, calls: r.calls, input_tokens: r.inputTokens, output_tokens: r.outputTokens, exhausted: r.exhausted };
    }
    return outcome;
  }

  /** Scrubs the note and gets its candidates; LLM failures become a failed or deferred result. */
  async function extractNote(note: AnalystNote): Promise<NoteResult> {
    const scrubbed = scrubSecrets(note.content);
    outcome.secrets_scrubbed += scrubbed.count;
    if (!scrubbed.text.trim()) return { kind: 'empty' };
    if (extractor) {
      const items = extractor.extract(scrubbed.text).map((i) => normalize({ ...i, existing_id: null }));
      return { kind: 'ok', candidates: items.filter((c): c is Candidate => c !== undefined) };
    }
    const parts = splitNote(scrubbed.text);
    const candidates: Candidate[] = [];
    try {
      for (const [i, part] of parts.entries()) {
        const answer = await ask(note, part, { index: i + 1, of: parts.length });
        for (const c of answer) {
          const n = normalize(c);
          if (n) candidates.push(n);
        }
      }
    } catch (e) {
      if (isLlmFailure(e) && (e.llmFailure === 'budget_exhausted' || (e.llmFailure === 'timeout' && o.signal?.aborted))) {
        stop = true;
        return { kind: 'deferred' };
      }
      return { kind: 'failed', error: describeError(e), cause: e };
    }
    return { kind: 'ok', candidates };
  }

  /** One call for one part of a note; an invalid or truncated answer is asked for once more. */
  async function ask(note: AnalystNote, notes: string, part: { index: number; of: number }): Promise<ExtractedCandidate[]> {
    const request = (retryHint?: string, maxTokens = o.maxAnswerTokens ?? DEFAULT_ANSWER_TOKENS) => ({
      system: systemPrompt(nonce),
      messages: [{ role: 'user' as const, content: userMessage({ nonce, author: note.email, notes, catalog: known.catalog(), part, retryHint }) }],
      schema: extractionAnswerSchema,
      schemaName: EXTRACTION_SCHEMA_NAME,
      maxTokens,
    });
    const base = o.maxAnswerTokens ?? DEFAULT_ANSWER_TOKENS;
    try {
      return (await provider!.complete(request(), o.signal)).value.items;
    } catch (e) {
      if (!isLlmFailure(e) || e.llmFailure !== 'invalid_answer') throw e;
      const truncated = e instanceof LlmInvalidAnswerError && e.reason === 'truncated';
      const hint = truncated ? 'it was cut off at the token limit: keep items short' : e.message;
      return (await provider!.complete(request(hint, truncated ? base * 2 : base), o.signal)).value.items;
    }
  }

  /** Records the note's result: its items stored, then its hash; or its failure. */
  async function settle(note: AnalystNote, result: NoteResult): Promise<void> {
    if (result.kind === 'deferred') {
      outcome.notes_deferred++;
      return;
    }
    if (result.kind === 'failed') return fail(note, result.error, result.cause);
    try {
      if (result.kind === 'ok') await storeNote(note, result.candidates);
      else await o.store.notes.markNote(note.userId, note.sha256, 'skipped');
    } catch (e) {
      await fail(note, describeError(e), e);
    }
  }

  async function fail(note: AnalystNote, error: string, cause: unknown): Promise<void> {
    o.onNoteFailed?.(note.userId, cause);
    outcome.notes_failed++;
    outcome.failures.push({ user_id: note.userId, error });
    o.logger?.warn({ user_id: note.userId, error }, 'memory extraction: a note failed; it is tried again next run');
    await o.store.notes.markNote(note.userId, note.sha256, 'failed', error).catch(() => undefined);
  }

  /**
   * Stores the note's candidates, its dropped ones' audit rows and its hash in one transaction
   * (ExtractionBatch: a few statements for the whole note). The outcome counts them, and the
   * run's catalogue takes the note's items, only once that has committed.
   */
  async function storeNote(note: AnalystNote, candidates: Candidate[]): Promise<void> {
    const draft = known.draft();
    const checked = candidates.map((c) => ({ c, verdict: sensitivityVerdict(c), f: features(c.title, c.content) }));
    const done = { created: 0, merged: 0, unchanged: 0, dropped: [] as string[] };
    await o.store.items.saveExtraction(o.approval, async (batch) => {
      // The items the candidates will most likely look for, in one read: the ids the model named and the near-duplicates.
      await batch.prefetch(checked.filter((k) => k.verdict.safe).map(({ c, f }) => ({ ...c, existingId: c.existingId ?? known.find(f)?.value.id })));
      for (const { c, verdict, f } of checked) {
        if (!verdict.safe) {
          const reason = verdict.reason ?? 'unsafe';
          done.dropped.push(reason);
          // The governance audit says what was kept from sharing and why, never the text itself.
          batch.drop(`from the notes of ${note.email}: ${reason}`);
          continue;
        }
        const stored = await storeCandidate(batch, draft, note, c, f);
        done[stored]++;
      }
      batch.markNote({ userId: note.userId, sha256: note.sha256, status: 'processed' });
    });
    draft.commit();
    outcome.items_created += done.created;
    outcome.items_merged += done.merged;
    outcome.items_unchanged += done.unchanged;
    for (const reason of done.dropped) {
      outcome.dropped_unsafe++;
      outcome.dropped.push({ user_id: note.userId, reason });
      o.logger?.info({ user_id: note.userId, reason }, 'memory extraction: dropped an unsafe candidate');
    }
  }

  /** One safe candidate: merged into the item it duplicates, or a new item. */
  async function storeCandidate(
    batch: ExtractionBatch,
    draft: NoteDraft,
    note: AnalystNote,
    c: Candidate,
    f: TextFeatures,
  ): Promise<'created' | 'merged' | 'unchanged'> {
    // The model's existing id, when it names a listed item this candidate is plausibly about.
    const named = c.existingId ? draft.get(c.existingId) : undefined;
    const byModel = named && (named.item.status === 'approved' || named.item.status === 'pending') && plausible(f, named.features) ? named : undefined;
    const byText = byModel ? undefined : draft.find(f);
    const target = byModel?.item ?? byText?.value;
    const tags = target ? [...new Set([...target.tags, ...c.tags])] : c.tags;
    // A lexical duplicate adds its source and tags but keeps the existing wording (reviewed, for an
    // approved item); an item the model names is updated with the refined text, keeping its status.
    const text = byText ? { title: byText.value.title, content: byText.value.content, category: byText.value.category } : c;
    const sources = [{ user_id: note.userId, sha256: note.sha256 }];
    const stored = await batch.upsert({
      existingId: target?.id ?? null,
      title: text.title,
      content: text.content,
      category: text.category,
      tags,
      sourceUsers: [note.email],
      sources,
    });
    const status = stored.created ? (o.approval === 'auto' ? 'approved' : 'pending') : (draft.get(stored.id)?.item.status ?? 'pending');
    if (stored.created || stored.changed) draft.remember({ id: stored.id, title: text.title, content: text.content, category: text.category, tags, status });
    return stored.created ? 'created' : stored.changed ? 'merged' : 'unchanged';
  }
}

function plausible(a: TextFeatures, b: TextFeatures): boolean {
  const j = judge(a, b);
  return j.similarity >= EXISTING_ID_MIN_SIMILARITY || j.sharedEntities >= 1;
}
