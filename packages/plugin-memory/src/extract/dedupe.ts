/**
 * Near-duplicate detection between a new candidate and the items already stored, so a note
 * that restates known knowledge adds a source to the existing item instead of a second item.
 *
 * The rule (the upstream's, tested on test/extract/dedupe.test.ts's corpus): the Jaccard
 * similarity of the normalized word sets of title + content is
 * - ≥ 0.82: the same item (rewording, a typo, a word added);
 * - ≥ 0.65 and the two share ≥ 2 entities (`backticked` names, snake_case or dotted
 *   identifiers, capitalised product names and acronyms, numbers with units): the same fact
 *   about the same things, said a little differently.
 * Below that they are different items, even when they share many words ("revenue", "orders").
 */

export const MERGE_SIMILARITY = 0.82;
export const ENTITY_SIMILARITY = 0.65;
export const MIN_SHARED_ENTITIES = 2;

/** The words of an item that carry its meaning, and the named things it is about. */
export interface TextFeatures {
  words: ReadonlySet<string>;
  entities: ReadonlySet<string>;
}

const STOPWORDS = new Set(
  (
    'a an the and or but nor so yet of in on at to for from by with without into onto over under about as is are was were be been being ' +
    'it its this that these those there here than then them they their we our you your i me my he she his her not no do does did done ' +
    'has have had will would shall should can could may might must also just only very more most less least such each every any all ' +
    'some other which who whom whose what when where why how if else use used using via per e g eg ie etc always never'
  ).split(' '),
);

function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/** A light stemmer: plurals and the commonest verb endings, enough for "orders"/"order", "refunded"/"refund". */
function stem(word: string): string {
  if (/\d/.test(word) || word.includes('_') || word.includes('.')) return word;
  if (word.length > 5 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** Normalized meaningful words: folded, split on anything but letters, digits, `_` and inner dots, stopwords out, stemmed. */
export function words(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of fold(text).split(/[^a-z0-9_.]+/)) {
    const w = raw.replace(/^\.+|\.+$/g, '');
    if (!w || STOPWORDS.has(w) || (w.length < 2 && !/\d/.test(w))) continue;
    out.add(stem(w));
  }
  return out;
}

const UNITS =
  /\b(\d+(?:[.,]\d+)?)\s?(%|ms|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|d|days?|weeks?|months?|years?|kb|mb|gb|tb|rows?|k|m|bn|eur|usd|czk|gbp)(?![a-z])/gi;
const CURRENCY = /([$€£])\s?(\d+(?:[.,]\d+)?\s?[kKmM]?)/g;
const UNIT_NAMES: Record<string, string> = {
  s: 'second',
  sec: 'second',
  secs: 'second',
  min: 'minute',
  mins: 'minute',
  h: 'hour',
  hr: 'hour',
  hrs: 'hour',
  d: 'day',
};

/** Named things: backticked spans, identifiers (snake_case, dotted), capitalised terms past a sentence start, acronyms, numbers with units. */
export function entities(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/`([^`\n]{1,80})`/g)) out.add(fold(m[1]).trim());
  for (const m of text.matchAll(/\b[A-Za-z][A-Za-z0-9]*(?:[_.][A-Za-z0-9]+)+\b/g)) out.add(fold(m[0]));
  for (const m of text.matchAll(/\b[A-Z]{2,}[0-9]*\b/g)) out.add(fold(m[0]));
  // A capitalised word that does not start a sentence (or a line): a product, team or system name.
  for (const m of text.matchAll(/(?<![.!?:]\s|^|\n|\n[-*+]\s)(?<=\s)([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*)\b/g)) out.add(fold(m[1]));
  for (const m of text.matchAll(UNITS)) {
    const unit = m[2].toLowerCase();
    const name = UNIT_NAMES[unit] ?? unit.replace(/s$/, '');
    out.add(`${m[1].replace(',', '.')} ${name}`);
  }
  for (const m of text.matchAll(CURRENCY)) out.add(`${m[1]}${m[2].replace(/\s/g, '').toLowerCase()}`);
  return out;
}

export function features(title: string, content: string): TextFeatures {
  const text = `${title}\n${content}`;
  return { words: words(text), entities: entities(text) };
}

/** |A ∩ B| / |A ∪ B|; 0 for two empty sets (nothing to compare is no evidence of a duplicate). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const x of small) if (large.has(x)) shared++;
  return shared / (a.size + b.size - shared);
}

function sharedCount(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let n = 0;
  for (const x of a) if (b.has(x)) n++;
  return n;
}

export interface DuplicateJudgement {
  duplicate: boolean;
  similarity: number;
  sharedEntities: number;
}

/** Whether `a` and `b` are the same piece of knowledge under the rule above. */
export function judge(a: TextFeatures, b: TextFeatures): DuplicateJudgement {
  const similarity = jaccard(a.words, b.words);
  const sharedEntities = sharedCount(a.entities, b.entities);
  const duplicate = similarity >= MERGE_SIMILARITY || (similarity >= ENTITY_SIMILARITY && sharedEntities >= MIN_SHARED_ENTITIES);
  return { duplicate, similarity, sharedEntities };
}

/** An item the index compares candidates against. */
export interface Indexed<T> {
  value: T;
  features: TextFeatures;
}

/**
 * The stored items of one run, looked up by their words: a candidate is compared only with the
 * items it shares a word with, so a catalogue of thousands costs a few comparisons per candidate.
 */
export class DuplicateIndex<T> {
  private readonly entries: Indexed<T>[] = [];
  private readonly byWord = new Map<string, number[]>();

  add(value: T, f: TextFeatures): void {
    const at = this.entries.push({ value, features: f }) - 1;
    for (const w of f.words) {
      const list = this.byWord.get(w);
      if (list) list.push(at);
      else this.byWord.set(w, [at]);
    }
  }

  /** The most similar item that is a duplicate of `f`, if any (the earliest added among equals). */
  find(f: TextFeatures): (Indexed<T> & DuplicateJudgement) | undefined {
    const seen = new Set<number>();
    let best: { at: number; judgement: DuplicateJudgement } | undefined;
    for (const w of f.words) {
      for (const at of this.byWord.get(w) ?? []) {
        if (seen.has(at)) continue;
        seen.add(at);
        const j = judge(f, this.entries[at].features);
        if (!j.duplicate) continue;
        if (!best || j.similarity > best.judgement.similarity || (j.similarity === best.judgement.similarity && at < best.at)) best = { at, judgement: j };
      }
    }
    return best && { ...this.entries[best.at], ...best.judgement };
  }
}
