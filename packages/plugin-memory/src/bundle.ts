import { confidenceSql } from './store/confidence.js';
import { list } from './store/db.js';
import type { MemoryStore } from './store/index.js';

/** One rule as delivered to an analyst's agent. */
export interface BundleItem {
  id: string;
  title: string;
  content: string;
  category: string;
  updated_at: Date;
}

export interface MemoryBundle {
  /** Mandated items: always delivered, whatever their size, and not counted against the budget. */
  required: BundleItem[];
  /** Approved items, best first, as many as fit `token_budget`. */
  approved: BundleItem[];
  /** Estimated tokens of everything delivered (required and approved), at 4 characters a token. */
  token_estimate: number;
  /** `bundle.max_tokens`: the budget of the approved items. */
  token_budget: number;
}

const DAY_MS = 86_400_000;
/** Tokens of an item as the agent reads it: title and content at 4 characters a token. */
export const tokensOf = (i: { title: string; content: string }) => Math.ceil((i.title.length + i.content.length) / 4);

const DAY_MS_SQL = `${DAY_MS}::DOUBLE`;
const dbl0 = '0::DOUBLE';

/**
 * Every candidate, best first, as one JSON text `[{i: id, t: tokens, r: required}]`: the
 * approved, unexpired, shared items ranked by confidence × recency, net votes, newer change,
 * id. The ranking runs in DuckDB (confidenceSql, the twin of computeConfidence; tokens as
 * tokensOf counts them) and only ids and sizes come back, as one string: converting 10,000
 * rows value by value into JS costs more than all of the query. `source_users` is stored
 * without duplicates, so its length counts people. `$now` is the time in ms since the epoch.
 */
function candidatesSql(halfLifeMs: number): string {
  const confidence = confidenceSql(
    {
      required: 'i.required',
      sourceType: 'i.source_type',
      sourceUsers: 'len(i.source_users)',
      upvotes: 'i.upvotes',
      downvotes: 'i.downvotes',
      updatedAt: 'i.updated_at',
    },
    '$now',
    halfLifeMs,
  );
  return `WITH ranked AS (
    SELECT i.id, i.required, i.updated_at, ceil((len(i.title) + len(i.content)) / 4)::INTEGER AS tokens,
      i.upvotes - i.downvotes AS net,
      ${confidence} * greatest(${dbl0}, 1 - greatest(${dbl0}, $now - epoch_ms(i.updated_at)) / ${DAY_MS_SQL} / 365) AS rank
    FROM memory_items i
    WHERE i.status = 'approved' AND NOT i.personal AND (i.expires_at IS NULL OR epoch_ms(i.expires_at) > $now))
  SELECT CAST(to_json(list({i: id, t: tokens, r: required} ORDER BY rank DESC, net DESC, updated_at DESC, id)) AS VARCHAR) AS j
  FROM ranked`;
}

/**
 * The bundle every analyst's agent follows (`da sync` writes it as rule files). It is what the
 * memory shares, so it is the same for everyone: no personal item is in it, not even the
 * caller's own. Required items all go in, outside the budget. Approved items go in ranked
 * (confidence × recency, recency = max(0, 1 − days since updated_at / 365), then net votes,
 * the newer change, the id) while their total stays within the budget; one that does not fit
 * is skipped, and smaller ones after it may still go in. One query ranks, a second reads the
 * chosen items' text, in one transaction so the two agree.
 */
export async function buildBundle(store: MemoryStore, maxTokens: number): Promise<MemoryBundle> {
  const now = store.now();
  return store.db.transaction(async (tx) => {
    const [row] = await tx.all<{ j: string | null }>(candidatesSql(store.options.halfLifeMs), { now: now.getTime() });
    const ranked = JSON.parse(row?.j ?? 'null') as { i: string; t: number; r: boolean }[] | null;
    const required: string[] = [];
    const approved: string[] = [];
    let estimate = 0;
    let used = 0;
    for (const c of ranked ?? []) {
      if (c.r) {
        required.push(c.i);
        estimate += c.t;
      } else if (used + c.t <= maxTokens) {
        approved.push(c.i);
        used += c.t;
      }
    }
    const chosen = [...required, ...approved];
    const texts = new Map<string, BundleItem>();
    if (chosen.length) {
      const rows = await tx.all<{ id: string; title: string; content: string; category: string; updated_at: Date }>(
        'SELECT id, title, content, category, updated_at FROM memory_items WHERE id IN (SELECT unnest(?::JSON::VARCHAR[]))',
        [list(chosen)],
      );
      for (const r of rows) texts.set(r.id, { id: r.id, title: r.title, content: r.content, category: r.category, updated_at: r.updated_at });
    }
    return {
      required: required.map((id) => texts.get(id)!),
      approved: approved.map((id) => texts.get(id)!),
      token_estimate: estimate + used,
      token_budget: maxTokens,
    };
  });
}
