/**
 * The shared items a run dedupes against, by id and by words: those stored before the run and
 * those each note stores. A note's own items are seen by its later candidates at once, but join
 * the run's set only once the note's transaction has committed, so a note whose storing fails
 * leaves nothing behind that was never stored.
 */
import type { DedupeCandidate } from '../store/index.js';
import { DuplicateIndex, features, type DuplicateJudgement, type Indexed, type TextFeatures } from './dedupe.js';
import type { CatalogEntry } from './prompt.js';

/** A known item with its features, for the model's existing ids and the near-duplicate rule. */
export interface Known {
  item: DedupeCandidate;
  features: TextFeatures;
}

export type Match = Indexed<DedupeCandidate> & DuplicateJudgement;

/** What the dedupe asks: an item by id (its latest version), and the best near-duplicate of a text. */
export interface KnownView {
  get(id: string): Known | undefined;
  find(f: TextFeatures): Match | undefined;
}

/** The run's items. */
export class KnownItems implements KnownView {
  private readonly byId = new Map<string, Known>();
  private readonly index = new DuplicateIndex<DedupeCandidate>();

  /** Adds an item, or a newer version of one (the index keeps the older too, as it never forgets a wording). */
  remember(item: DedupeCandidate, f: TextFeatures = features(item.title, item.content)): void {
    this.byId.set(item.id, { item, features: f });
    this.index.add(item, f);
  }

  get(id: string): Known | undefined {
    return this.byId.get(id);
  }

  find(f: TextFeatures): Match | undefined {
    return this.index.find(f);
  }

  /** The approved and pending items: what the model may name as `existing_id`. */
  catalog(): CatalogEntry[] {
    return [...this.byId.values()]
      .filter((k) => k.item.status === 'approved' || k.item.status === 'pending')
      .map((k) => ({ id: k.item.id, title: k.item.title, category: k.item.category }));
  }

  /** A view for one note's storing. */
  draft(): NoteDraft {
    return new NoteDraft(this);
  }
}

/** The run's items plus those one note has stored so far; `commit` adds the note's to the run's. */
export class NoteDraft implements KnownView {
  private readonly own = new KnownItems();
  private readonly added: Known[] = [];

  constructor(private readonly run: KnownItems) {}

  remember(item: DedupeCandidate): void {
    const f = features(item.title, item.content);
    this.own.remember(item, f);
    this.added.push({ item, features: f });
  }

  get(id: string): Known | undefined {
    return this.own.get(id) ?? this.run.get(id);
  }

  /** The better match of the two; the run's on equal similarity, as one index would answer (its items were added first). */
  find(f: TextFeatures): Match | undefined {
    const theirs = this.run.find(f);
    const mine = this.own.find(f);
    if (!theirs || !mine) return theirs ?? mine;
    return mine.similarity > theirs.similarity ? mine : theirs;
  }

  /** Once the note's transaction has committed: its items join the run's, in the order stored. */
  commit(): void {
    for (const k of this.added) this.run.remember(k.item, k.features);
  }
}
