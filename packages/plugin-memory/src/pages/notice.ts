import type { Context } from 'koa';
import { mountPrefix } from '@aida/core';

/**
 * Post/redirect/get as the host's own pages do it: after a change the browser goes back with
 * `notice=<code>`, and the page shows the text it has for that code, so a crafted link cannot
 * make the portal say something. `params` are added to the query first (list state, counts).
 */
export function redirectWithNotice(ctx: Context, path: string, code: string, params: Record<string, string | number | undefined> = {}, hash = ''): void {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  q.set('notice', code);
  ctx.status = 303;
  ctx.redirect(`${mountPrefix(ctx)}${path}${path.includes('?') ? '&' : '?'}${q.toString()}${hash}`);
}

/** The message a page has for `?notice=`, or undefined. */
export function noticeFrom(ctx: Context, messages: Readonly<Record<string, string>>): string | undefined {
  const code = ctx.query.notice;
  return typeof code === 'string' && Object.hasOwn(messages, code) ? messages[code] : undefined;
}

/** Every message the memory pages show after a form (batch results are counted on the review page). */
export const MESSAGES = {
  voted_up: 'Your vote is recorded: up.',
  voted_down: 'Your vote is recorded: down.',
  proposed: 'Proposed: waiting for review.',
  approve: 'Approved: the item is in the bundles.',
  reject: 'Rejected.',
  mandate: 'Mandated: the item is required in every bundle.',
  revoke: 'Revoked: the item left the bundles.',
  edited: 'Saved.',
} as const;
