import { canApply } from '../store/governance.js';
import { GOVERNANCE_ACTIONS, type GovernanceAction, type MemoryItem } from '../store/types.js';
import type { ListState } from './forms.js';

/** An item's text as paragraphs of lines: blank lines split paragraphs, single newlines break lines (the template escapes each). */
export function paragraphs(content: string): string[][] {
  return content
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.split('\n'))
    .filter((lines) => lines.some((l) => l.trim() !== ''));
}

/** The governance buttons an item page offers: the actions the store accepts for its state (it refuses the others with a 409 in any case). */
export function actionsFor(item: Pick<MemoryItem, 'status' | 'required'>): GovernanceAction[] {
  return GOVERNANCE_ACTIONS.filter((a) => canApply(a, item));
}

/** The browse page's filters as query parameters (empty ones left out). */
export function listParams(s: Partial<ListState>): Record<string, string | number | undefined> {
  return { q: s.q, category: s.category, status: s.status, offset: s.offset ? s.offset : undefined };
}

/** `/memory?…&` for the pager macro, which appends `offset=…&limit=…`. */
export function pagerHref(base: string, s: Partial<ListState>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ q: s.q, category: s.category, status: s.status })) if (v) q.set(k, v);
  const text = q.toString();
  return `${base}/memory?${text ? `${text}&` : ''}`;
}
