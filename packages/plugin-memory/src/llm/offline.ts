/**
 * Extraction without a model: what a fresh instance uses until an LLM is configured. It reads
 * an analyst's markdown notes the way people write them: headings name a section, each bullet
 * is one piece of knowledge, and `Rule:` / `Note:` lines are knowledge wherever they stand.
 * It does not fit the `LlmProvider` contract (it cannot answer an arbitrary schema), so it is
 * its own small interface.
 */

/** The fixed categories of knowledge items (the reference platform's extraction schema). */
export const KNOWLEDGE_CATEGORIES = ['data_analysis', 'api_integration', 'debugging', 'performance', 'workflow', 'infrastructure', 'business_logic'] as const;
export type KnowledgeCategory = (typeof KNOWLEDGE_CATEGORIES)[number];

/** One candidate knowledge item found in a note. */
export interface OfflineItem {
  title: string;
  content: string;
  category: KnowledgeCategory;
  tags: string[];
}

/** Extracts knowledge items from notes without any network; see `extractOffline`. */
export class OfflineExtractor {
  readonly id = 'offline';
  extract(note: string): OfflineItem[] {
    return extractOffline(note);
  }
}

/** Words in a heading (first) or the text (then) that suggest a category; the first category with a hit wins. */
const CATEGORY_HINTS: readonly [KnowledgeCategory, RegExp][] = [
  ['debugging', /\b(debug\w*|bugs?|errors?|troubleshoot\w*|gotchas?|pitfalls?|pitfall|workarounds?|broken)\b/i],
  ['performance', /\b(performance|slow\w*|fast\w*|speed|latency|cach(e|es|ing)|optimi[sz]\w*|timeouts?)\b/i],
  ['api_integration', /\b(apis?|integrations?|endpoints?|webhooks?|connectors?|keboola|jira|bigquery|oauth)\b/i],
  ['infrastructure', /\b(infra\w*|deploy\w*|servers?|docker|kubernetes|ci|environments?|clusters?|install\w*)\b/i],
  ['workflow', /\b(workflows?|process(es)?|conventions?|reviews?|naming|style|habits?|team|how we work|checklists?)\b/i],
  ['business_logic', /\b(business|revenue|customers?|pricing|finance|financial|churn|definitions?|glossary|kpis?|fiscal|invoices?|orders?)\b/i],
  ['data_analysis', /\b(analys[ie]s|analytics|metrics?|reports?|dashboards?|queries|query|sql|tables?|datasets?|columns?|data)\b/i],
];

const FENCE = /^\s*(```|~~~)/;
const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const BULLET = /^(\s*)(?:[-*+]|\d{1,3}[.)])\s+(.*)$/;
/** `Rule: …`, `**Note:** …`, `Notes - …` at the start of a line or bullet. */
const LABEL = /^(?:\*\*|__)?(rule|note)s?(?:\*\*|__)?\s*[:\u2014-](?:\*\*|__)?\s+(.+)$/i;

interface Draft {
  text: string;
  section: string[];
  label?: 'rule' | 'note';
}

/**
 * Items of a markdown note:
 * - each bullet (`-`, `*`, `+`, `1.`) is one item; deeper bullets and indented lines under it
 *   belong to it; its title is its leading term (`**Term**: …`, `Term — …`) or its first
 *   sentence, prefixed by the section heading (at most 100 characters);
 * - each `Rule:` / `Note:` line (or bullet) is one item, tagged `rule` / `note`;
 * - headings give the section: the nearest one becomes a tag, and the nearest with a hint
 *   decides the category (then the item's own words; `data_analysis` when nothing hints);
 * - code blocks, tables, HTML comments and plain paragraphs are not items.
 * The same item twice in a note is returned once.
 */
export function extractOffline(note: string): OfflineItem[] {
  const drafts: Draft[] = [];
  const headings: string[] = [];
  let current: (Draft & { indent: number }) | undefined;
  let inFence = false;
  let inComment = false;

  const flush = () => {
    if (current) drafts.push({ text: current.text, section: current.section, label: current.label });
    current = undefined;
  };

  for (const raw of note.replace(/\r\n?/g, '\n').split('\n')) {
    if (FENCE.test(raw)) {
      flush();
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    let line = raw;
    if (inComment || line.includes('<!--')) {
      const kept = stripComments(line, inComment);
      inComment = kept.open;
      line = kept.text;
      if (!line.trim()) continue;
    }
    line = line.replace(/^\s{0,3}(>\s?)+/, '');
    if (!line.trim()) {
      flush();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      const level = heading[1].length;
      headings.length = level - 1;
      headings[level - 1] = clean(heading[2]);
      continue;
    }
    if (/^\s*\|/.test(line)) {
      flush();
      continue;
    }
    const section = headings.filter(Boolean);
    const bullet = BULLET.exec(line);
    if (bullet) {
      const indent = bullet[1].replace(/\t/g, '    ').length;
      if (current && indent > current.indent) {
        current.text += `\n- ${clean(bullet[2])}`;
        continue;
      }
      flush();
      const body = clean(bullet[2]);
      const label = LABEL.exec(body);
      current = label ? { text: label[2], section, label: labelOf(label[1]), indent } : { text: body, section, indent };
      continue;
    }
    if (current && /^\s{2,}\S/.test(line)) {
      current.text += ` ${clean(line)}`;
      continue;
    }
    flush();
    const label = LABEL.exec(clean(line));
    if (label) drafts.push({ text: label[2], section, label: labelOf(label[1]) });
  }
  flush();

  const seen = new Set<string>();
  const items: OfflineItem[] = [];
  for (const d of drafts) {
    const item = toItem(d);
    if (!item) continue;
    const key = `${item.title}\n${item.content}`.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(item);
  }
  return items;
}

function labelOf(word: string): 'rule' | 'note' {
  return word.toLowerCase() === 'rule' ? 'rule' : 'note';
}

/** The line without HTML comments, and whether a comment is still open at its end. */
function stripComments(line: string, open: boolean): { text: string; open: boolean } {
  let out = '';
  let rest = line;
  let inside = open;
  while (rest) {
    if (inside) {
      const end = rest.indexOf('-->');
      if (end < 0) return { text: out, open: true };
      rest = rest.slice(end + 3);
      inside = false;
    } else {
      const start = rest.indexOf('<!--');
      if (start < 0) return { text: out + rest, open: false };
      out += rest.slice(0, start);
      rest = rest.slice(start + 4);
      inside = true;
    }
  }
  return { text: out, open: inside };
}

/** Markdown emphasis, task-list boxes and extra spaces removed; code spans kept (table names matter). */
function clean(text: string): string {
  return text
    .replace(/^\[[ xX]\]\s+/, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|\s)[*_](\S(?:.*?\S)?)[*_](?=\s|$|[.,;:!?])/g, '$1$2')
    .replace(/\s+/g, ' ')
    .trim();
}

function toItem(d: Draft): OfflineItem | undefined {
  const content = d.text.trim();
  if (content.replace(/[^\p{L}\p{N}]/gu, '').length < 3) return undefined;
  const section = d.section.at(-1);
  // A leading term (`Net revenue: …`, `ARR — …`): a few words before a colon or a spaced dash.
  const term = /^([^:.!?\n]{2,40}?) ?(?::| [\u2014\u2013-]) +\S/u.exec(content)?.[1];
  const isTerm = term !== undefined && term.trim().split(/\s+/).length <= 4;
  const lead = isTerm ? term.trim() : firstSentence(content);
  const title = truncate(isTerm || !section ? lead : `${section}: ${lead}`, 100);
  const tags = [...(d.label ? [d.label] : []), ...(section ? [slug(section)] : [])].filter(Boolean);
  return { title, content, category: categoryOf(d.section, content), tags };
}

function firstSentence(text: string): string {
  const firstLine = text.split('\n')[0];
  const m = /^(.+?[.!?])(\s|$)/u.exec(firstLine);
  return (m ? m[1].replace(/[.]$/, '') : firstLine).trim();
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}

function categoryOf(section: readonly string[], content: string): KnowledgeCategory {
  for (const text of [...section].reverse()) {
    const hit = CATEGORY_HINTS.find(([, re]) => re.test(text));
    if (hit) return hit[0];
  }
  return CATEGORY_HINTS.find(([, re]) => re.test(content))?.[0] ?? 'data_analysis';
}
