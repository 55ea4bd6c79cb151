import { confidenceSql, dbl, epochMs } from './store/confidence.js';
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

/**
 * Every candidate, best first, as one text `id,tokens,r;id,tokens,;…` (`r` marks a required
 * item): the approved, unexpired, shared items ranked by confidence × recency, net votes, newer
 * change, id. The ranking runs in the database (confidenceSql, the twin of computeConfidence;
 * tokens as tokensOf counts them) and only ids and sizes come back, as one string: converting
 * 10,000 rows value by value into JS costs more than all of the query. Ids are `km_` + hex or
 * UUIDs, so neither separator occurs in one. `source_users` is stored without duplicates, so its
 * length counts people. The one parameter is the time in ms since the epoch.
 */
function candidatesSql(halfLifeMs: number): string {
  const confidence = confidenceSql(
    {
      required: 'i.required',
      sourceType: 'i.source_type',
      sourceUsers: 'coalesce(array_length(i.source_users, 1), 0)',
      upvotes: 'i.upvotes',
      downvotes: 'i.downvotes',
      updatedAt: 'i.updated_at',
    },
    'p.now_ms',
    halfLifeMs,
  );
  return `WITH p AS (SELECT ?::DOUBLE PRECISION AS now_ms),
  ranked AS (
    SELECT i.id, i.required, i.updated_at, CAST(ceil((length(i.title) + length(i.content)) / ${dbl(4)}) AS INTEGER) AS tokens,
      i.upvotes - i.downvotes AS net,
      ${confidence} * greatest(${dbl(0)}, 1 - greatest(${dbl(0)}, p.now_ms - ${epochMs('i.updated_at')}) / ${dbl(DAY_MS)} / 365) AS rank
    FROM memory_items i CROSS JOIN p
    WHERE i.status = 'approved' AND NOT i.personal AND (i.expires_at IS NULL OR ${epochMs('i.expires_at')} > p.now_ms))
  SELECT string_agg(id || ',' || CAST(tokens AS VARCHAR) || ',' || CASE WHEN required THEN 'r' ELSE '' END, ';'
    ORDER BY rank DESC, net DESC, updated_at DESC, id) AS j
  FROM ranked`;
}

/** The candidates' text (candidatesSql) as id, tokens and whether required, best first. */
function parseCandidates(text: string | null): { i: string; t: number; r: boolean }[] {
  if (!text) return [];
  return text.split(';').map((c) => {
    const [i = '', t = '0', r] = c.split(',');
    return { i, t: Number(t), r: r === 'r' };
  });
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
    const [row] = await tx.all<{ j: string | null }>(candidatesSql(store.options.halfLifeMs), [now.getTime()]);
    const ranked = parseCandidates(row?.j ?? null);
    const required: string[] = [];
    const approved: string[] = [];
    let estimate = 0;
    let used = 0;
    for (const c of ranked) {
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
        'SELECT id, title, content, category, updated_at FROM memory_items WHERE id IN (SELECT unnest(?::VARCHAR[]))',
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
