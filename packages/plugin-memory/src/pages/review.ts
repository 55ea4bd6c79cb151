import { body, query, type RouteDefinition } from '@aida/core';
import type { MemoryStore } from '../store/index.js';
import { GOVERNANCE_ACTIONS, type GovernanceAction } from '../store/types.js';
import { me } from './access.js';
import { batchForm, pendingQuery } from './forms.js';
import { MESSAGES, noticeFrom, redirectWithNotice } from './notice.js';
import { paragraphs } from './present.js';

const KM_ADMIN = { role: 'km_admin' } as const;
const PAST: Record<GovernanceAction, string> = { approve: 'Approved', reject: 'Rejected', mandate: 'Mandated', revoke: 'Revoked' };

/**
 * What a batch did, from `notice=batch&action=…&done=…&failed=…`: the action is one of four and
 * the counts are whole numbers, so the text is still the page's own.
 */
function batchNotice(q: Record<string, unknown>): string | undefined {
  if (q.notice !== 'batch') return undefined;
  const action = GOVERNANCE_ACTIONS.find((a) => a === q.action);
  const count = (v: unknown) => (typeof v === 'string' && /^\d{1,4}$/.test(v) ? Number(v) : undefined);
  const done = count(q.done);
  const failed = count(q.failed);
  if (!action || done === undefined || failed === undefined) return undefined;
  const items = (n: number) => `${n} ${n === 1 ? 'item' : 'items'}`;
  return `${PAST[action]} ${items(done)}.${failed ? ` ${items(failed)} could not be changed in ${failed === 1 ? 'its' : 'their'} current status.` : ''}`;
}

/** `/memory/review`: the pending queue with per-item and batch governance (km_admin and up). */
export function reviewPages(store: MemoryStore): RouteDefinition[] {
  return [
    {
      method: 'GET',
      path: '/memory/review',
      access: KM_ADMIN,
      summary: 'Page: the review queue of pending items, with approve, reject, mandate, edit and batch actions',
      input: { query: pendingQuery },
      output: { media: ['text/html'] },
      async handler(ctx) {
        const q = query(ctx, pendingQuery);
        // The same queue as GET /api/memory/admin/pending: shared items only, oldest first.
        const { items, total } = await store.items.pending(q, me(ctx).id);
        await ctx.render('memory/review.njk', {
          title: 'Review memory',
          notice: batchNotice(ctx.query) ?? noticeFrom(ctx, MESSAGES),
          items: items.map((item) => ({ ...item, paragraphs: paragraphs(item.content) })),
          page: { total, limit: q.limit, offset: q.offset },
          actions: GOVERNANCE_ACTIONS,
        });
      },
    },
    {
      method: 'POST',
      path: '/memory/review/batch',
      access: KM_ADMIN,
      summary: 'Form: one governance action on the selected items; those it does not apply to are counted and left alone',
      input: { body: batchForm, bodyTypes: ['form'] },
      output: { status: 303, description: 'Back to the review queue with what was done' },
      async handler(ctx) {
        const f = body(ctx, batchForm);
        // The same call as POST /api/memory/admin/batch: one transaction, an audit row per changed item.
        const out = await store.governance.batch(me(ctx).id, f.action, f.item_ids, f.reason);
        redirectWithNotice(ctx, '/memory/review', 'batch', { action: f.action, done: out.done.length, failed: out.failed.length });
      },
    },
  ];
}
