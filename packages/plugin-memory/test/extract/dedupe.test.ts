import { describe, expect, it } from 'vitest';
import { DuplicateIndex, MERGE_SIMILARITY, entities, features, jaccard, judge, words } from '../../src/extract/dedupe.js';

type Text = [title: string, content: string];
const f = (t: Text) => features(...t);

const revenue: Text = ['Revenue excludes refunds', 'Use `net_amount` from `orders`; `gross_amount` still includes refunded orders.'];
const churn90: Text = ['Churn definition', 'A customer has churned after 90 days without an order.'];
const keboolaLimit: Text = ['Keboola API rate limit', 'The Keboola Storage API allows 30 requests per second per token; back off on 429.'];
const events: Text = ['Events table is partitioned by day', 'Always filter `events` on `event_date` to hit partitions; full scans take 40 min.'];
const deploy: Text = ['Deploy with the staging flag', 'Run `da deploy --env staging` before prod; the Jenkins job checks the `STAGING_OK` marker.'];

/** The same item again: punctuation, articles, inflections and a word or two changed. */
const trueDuplicates: [Text, Text][] = [
  [revenue, ['Revenue excludes refunds', 'Use `net_amount` from `orders`: `gross_amount` still includes the refunded orders.']],
  [churn90, ['Churn definition', 'A customer is churned after 90 days without any order.']],
  [keboolaLimit, ['Keboola Storage API rate limit', 'The Keboola Storage API allows 30 requests per second per token, so back off on HTTP 429.']],
];

/** Reworded, but about the same named things: merged through the shared-entity rule. */
const closeParaphrases: [Text, Text][] = [
  [events, ['Filter events by event_date', 'Filter `events` on `event_date` so the partitions are used; a full scan of events takes 40 min.']],
  [deploy, ['Staging before prod', 'Run `da deploy --env staging` first; Jenkins checks the `STAGING_OK` marker before prod.']],
];

/** A looser paraphrase stays a separate item: the model's existing_id is what merges those. */
const looseParaphrase: [Text, Text] = [
  ['Net revenue excludes refunds', 'Compute revenue from `orders.net_amount`; `orders.gross_amount` counts refunded orders too.'],
  ['Revenue: use net amount', 'Revenue comes from `orders.net_amount` because `orders.gross_amount` also counts refunded orders.'],
];

/** Different knowledge that shares words, tables or products. */
const different: [Text, Text][] = [
  [revenue, ['Revenue is recognised monthly', 'Revenue from annual contracts in `orders` is recognised monthly, not at signing.']],
  [
    ['Orders table grain', 'The `orders` table has one row per order line, not per order.'],
    ['Orders table refresh', 'The `orders` table is refreshed every night at 02:00 UTC, not hourly.'],
  ],
  [churn90, ['Dormant definition', 'A customer is dormant after 30 days without an order.']],
  // Similar wording, a different value: kept apart so a reviewer sees the two rules side by side.
  [churn90, ['Churn definition', 'A customer has churned after 60 days without an order.']],
  [keboolaLimit, ['Keboola API tokens', 'Keboola Storage API tokens expire after 30 days; rotate them in the project settings.']],
  [
    ['Weekly report timing', 'weekly reports are sent on monday morning to the whole sales team, after the refresh'],
    ['Weekly report timing', 'weekly reports are sent on friday evening to the whole finance team, after the refresh'],
  ],
];

describe('near-duplicate rule', () => {
  it.each(trueDuplicates)('merges a true duplicate: %j', (a, b) => {
    const j = judge(f(a), f(b));
    expect(j.similarity).toBeGreaterThanOrEqual(MERGE_SIMILARITY);
    expect(j.duplicate).toBe(true);
  });

  it.each(closeParaphrases)('merges a close paraphrase sharing ≥ 2 entities: %j', (a, b) => {
    const j = judge(f(a), f(b));
    expect(j.similarity).toBeLessThan(MERGE_SIMILARITY);
    expect(j.similarity).toBeGreaterThanOrEqual(0.65);
    expect(j.sharedEntities).toBeGreaterThanOrEqual(2);
    expect(j.duplicate).toBe(true);
  });

  it('keeps a loose paraphrase apart', () => {
    const j = judge(f(looseParaphrase[0]), f(looseParaphrase[1]));
    expect(j.sharedEntities).toBeGreaterThanOrEqual(2);
    expect(j.duplicate).toBe(false);
  });

  it.each(different)('keeps different items apart: %j', (a, b) => {
    expect(judge(f(a), f(b)).duplicate).toBe(false);
  });

  it('the same similarity merges with shared entities and not without', () => {
    // 60 vs 90 days: 0.75 similar, but the numbers (the entities) differ.
    const j = judge(f(churn90), f(['Churn definition', 'A customer has churned after 60 days without an order.']));
    expect(j.similarity).toBeGreaterThan(0.65);
    expect(j.sharedEntities).toBe(0);
    expect(j.duplicate).toBe(false);
  });
});

describe('normalization', () => {
  it('folds case and accents, drops stopwords, stems plurals and verb endings, keeps identifiers whole', () => {
    expect([...words('The Orders were REFUNDED in Příbram; see `orders.net_amount`')].sort()).toEqual(
      ['order', 'orders.net_amount', 'pribram', 'refund', 'see'].sort(),
    );
  });

  it('finds backticked names, identifiers, acronyms, product names and numbers with units', () => {
    const e = entities('Daily ARR comes from `fct_arr` in BigQuery; refresh takes 15 min and costs $20, 30 % of the budget, over dwh.sales');
    for (const x of ['fct_arr', 'arr', 'bigquery', '15 minute', '$20', '30 %', 'dwh.sales']) expect(e).toContain(x);
    // A capitalised word that starts the sentence is not a name.
    expect(e).not.toContain('daily');
  });

  it('jaccard of two empty sets is 0', () => {
    expect(jaccard(new Set(), new Set())).toBe(0);
    expect(jaccard(new Set(['a']), new Set(['a']))).toBe(1);
  });
});

describe('DuplicateIndex', () => {
  it('finds the most similar duplicate among many, and none for new knowledge', () => {
    const index = new DuplicateIndex<string>();
    index.add('revenue', f(revenue));
    index.add('churn', f(churn90));
    index.add('keboola', f(keboolaLimit));
    for (let i = 0; i < 500; i++) index.add(`filler-${i}`, f([`Table t_${i} grain`, `The \`t_${i}\` table has one row per order and customer ${i}.`]));
    expect(index.find(f(trueDuplicates[0][1]))?.value).toBe('revenue');
    expect(index.find(f(trueDuplicates[2][1]))?.value).toBe('keboola');
    expect(index.find(f(different[0][1]))).toBeUndefined();
    expect(index.find(f(['Table t_7 grain', 'The `t_7` table has one row per order and customer 7.']))?.value).toBe('filler-7');
  });
});
