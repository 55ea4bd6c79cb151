/**
 * A candidate item as the run stores it: the model's (or the offline extractor's) answer item
 * trimmed and capped, rather than refusing a whole answer (and paying for a retry) over a long
 * title or an odd tag.
 */
import type { ExtractedCandidate } from './prompt.js';

const TITLE_MAX = 200;
const CONTENT_MAX = 4000;
const TAG_MAX = 40;
const TAGS_MAX = 8;

/** A candidate as stored: normalized, its source the note's author alone. */
export interface Candidate {
  existingId: string | null;
  title: string;
  content: string;
  category: string;
  tags: string[];
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

/** The model's (or the offline extractor's) item, trimmed and capped; undefined when nothing is left. */
export function normalize(c: Pick<ExtractedCandidate, 'title' | 'content' | 'category' | 'tags'> & { existing_id?: string | null }): Candidate | undefined {
  const title = clip(c.title.replace(/\s+/g, ' ').trim(), TITLE_MAX);
  const content = clip(c.content.trim(), CONTENT_MAX);
  if (!title || !content) return undefined;
  const tags = [
    ...new Set(
      c.tags
        .map((t) =>
          t
            .toLowerCase()
            .trim()
            .replace(/\s+/g, '-')
            .replace(/[^\p{L}\p{N}_-]/gu, ''),
        )
        .filter((t) => t && t.length <= TAG_MAX),
    ),
  ].slice(0, TAGS_MAX);
  return { existingId: c.existing_id ?? null, title, content, category: c.category, tags };
}
