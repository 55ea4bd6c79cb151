/**
 * One extraction run over the analysts' notes that changed since the last run: scrub, ask the
 * model (or the offline extractor), check sensitivity, dedupe, store, and only then record the
 * note's hash. A note whose extraction fails is recorded as failed and tried again next run;
 * nothing it would have changed is written, because items are stored only once every call for
 * the note has answered.
 */
import type { AnalystNote, AnalystNotes, LlmFailure, LlmProvider } from '@aida/core';
import type { ApprovalMode } from '../config.js';
import type { LlmBudget } from '../llm/budget.js';
import { runBudget, type ExtractionBackend, type LlmConfig } from '../llm/config.js';
import { LlmInvalidAnswerError } from '../llm/errors.js';
import type { OfflineExtractor } from '../llm/offline.js';
import type { DedupeCandidate, MemoryStore } from '../store/index.js';
import { DuplicateIndex, features, judge, type TextFeatures } from './dedupe.js';
import {
  EXTRACTION_SCHEMA_NAME,
  extractionAnswerSchema,
  newNonce,
  splitNote,
  systemPrompt,
  userMessage,
  type CatalogEntry,
  type ExtractedCandidate,
} from './prompt.js';
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

/** What the run needs of the memory store: items (catalogue, upserts), the notes' state, and the governance audit (dropped candidates). */
export type ExtractionStore = Pick<MemoryStore, 'items' | 'notes' | 'audit'>;

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

/** A catalogue item with its features, for the model's existing ids and the near-duplicate rule. */
interface Known {
  item: DedupeCandidate;
  features: TextFeatures;
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
  const known = new Map<string, Known>();
  const index = new DuplicateIndex<DedupeCandidate>();
  const remember = (item: DedupeCandidate) => {
    const f = features(item.title, item.content);
    known.set(item.id, { item, features: f });
    index.add(item, f);
  };
  for (const item of await o.store.items.dedupeCandidates()) remember(item);
  const catalog = (): CatalogEntry[] =>
    [...known.values()]
      .filter((k) => k.item.status === 'approved' || k.item.status === 'pending')
      .map((k) => ({ id: k.item.id, title: k.item.title, category: k.item.category }));

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
      messages: [{ role: 'user' as const, content: userMessage({ nonce, author: note.email, notes, catalog: catalog(), part, retryHint }) }],
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
      if (result.kind === 'ok') await storeCandidates(note, result.candidates);
      await o.store.notes.markNote(note.userId, note.sha256, result.kind === 'empty' ? 'skipped' : 'processed');
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

  async function storeCandidates(note: AnalystNote, candidates: Candidate[]): Promise<void> {
    const sources = [{ user_id: note.userId, sha256: note.sha256 }];
    for (const c of candidates) {
      const verdict = sensitivityVerdict(c);
      if (!verdict.safe) {
        const reason = verdict.reason ?? 'unsafe';
        outcome.dropped_unsafe++;
        outcome.dropped.push({ user_id: note.userId, reason });
        o.logger?.info({ user_id: note.userId, reason }, 'memory extraction: dropped an unsafe candidate');
        // The governance audit says what was kept from sharing and why, never the text itself.
        await o.store.audit.record({ actorId: null, action: 'extract_drop', reason: `from the notes of ${note.email}: ${reason}` });
        continue;
      }
      const f = features(c.title, c.content);
      // The model's existing id, when it names a listed item this candidate is plausibly about.
      const named = c.existingId ? known.get(c.existingId) : undefined;
      const byModel = named && (named.item.status === 'approved' || named.item.status === 'pending') && plausible(f, named.features) ? named : undefined;
      const byText = byModel ? undefined : index.find(f);
      const target = byModel?.item ?? byText?.value;
      const tags = target ? [...new Set([...target.tags, ...c.tags])] : c.tags;
      // A lexical duplicate adds its source and tags but keeps the existing wording (reviewed, for an
      // approved item); an item the model names is updated with the refined text, keeping its status.
      const text = byText ? { title: byText.value.title, content: byText.value.content, category: byText.value.category } : c;
      const stored = await o.store.items.upsertExtracted(
        { existingId: target?.id ?? null, title: text.title, content: text.content, category: text.category, tags, sourceUsers: [note.email], sources },
        o.approval,
      );
      if (stored.created) outcome.items_created++;
      else if (stored.changed) outcome.items_merged++;
      else outcome.items_unchanged++;
      const status = stored.created ? (o.approval === 'auto' ? 'approved' : 'pending') : (known.get(stored.id)?.item.status ?? 'pending');
      if (stored.created || stored.changed) remember({ id: stored.id, title: text.title, content: text.content, category: text.category, tags, status });
    }
  }
}

function plausible(a: TextFeatures, b: TextFeatures): boolean {
  const j = judge(a, b);
  return j.similarity >= EXISTING_ID_MIN_SIMILARITY || j.sharedEntities >= 1;
}
