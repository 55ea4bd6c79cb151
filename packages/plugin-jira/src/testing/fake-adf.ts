// Atlassian Document Format, the body of v3 descriptions and comments
// (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/): building a
// document from text, and reducing one to HTML (what `expand=renderedFields` / `renderedBody`
// return) or to plain text (what webhooks carry: they use the v2 representation, where bodies are
// strings, not ADF).
import type { AdfDoc, AdfNode } from './fake-model.js';

/** An ADF document with one paragraph per line of `text`. */
export function adf(text: string): AdfDoc {
  return {
    type: 'doc',
    version: 1,
    content: text.split('\n').map((line) => ({ type: 'paragraph', content: line ? [{ type: 'text', text: line }] : [] })),
  };
}

const BLOCKS = new Set(['paragraph', 'heading', 'blockquote', 'codeBlock', 'listItem', 'panel', 'rule', 'tableRow']);

/** The document's text, blocks separated by newlines. */
export function adfToText(doc: AdfNode | null): string {
  if (!doc) return '';
  const out: string[] = [];
  const walk = (n: AdfNode): void => {
    if (n.type === 'text') out.push(n.text ?? '');
    else if (n.type === 'hardBreak') out.push('\n');
    else if (n.type === 'mention') out.push(String(n.attrs?.text ?? ''));
    else if (n.type === 'inlineCard') out.push(String(n.attrs?.url ?? ''));
    for (const c of n.content ?? []) walk(c);
    if (BLOCKS.has(n.type)) out.push('\n');
  };
  walk(doc);
  return out.join('').replace(/\n+$/, '');
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const TAGS: Record<string, string> = {
  paragraph: 'p',
  blockquote: 'blockquote',
  bulletList: 'ul',
  orderedList: 'ol',
  listItem: 'li',
  codeBlock: 'pre',
  table: 'table',
  tableRow: 'tr',
  tableCell: 'td',
  tableHeader: 'th',
};

/** HTML close to what Jira renders for the document (enough for a connector to store and show). */
export function adfToHtml(doc: AdfNode | null): string {
  if (!doc) return '';
  const render = (n: AdfNode): string => {
    const inner = (n.content ?? []).map(render).join('');
    if (n.type === 'text') return applyMarks(escape(n.text ?? ''), n.marks ?? []);
    if (n.type === 'hardBreak') return '<br/>';
    if (n.type === 'rule') return '<hr/>';
    if (n.type === 'mention') return `<a class="user-hover">${escape(String(n.attrs?.text ?? ''))}</a>`;
    if (n.type === 'inlineCard') return `<a href="${escape(String(n.attrs?.url ?? ''))}">${escape(String(n.attrs?.url ?? ''))}</a>`;
    if (n.type === 'heading') return `<h${Number(n.attrs?.level ?? 1)}>${inner}</h${Number(n.attrs?.level ?? 1)}>`;
    const tag = TAGS[n.type];
    return tag ? `<${tag}>${inner}</${tag}>` : inner;
  };
  return render(doc);
}

function applyMarks(html: string, marks: { type: string; attrs?: Record<string, unknown> }[]): string {
  return marks.reduce((acc, m) => {
    if (m.type === 'strong') return `<b>${acc}</b>`;
    if (m.type === 'em') return `<em>${acc}</em>`;
    if (m.type === 'code') return `<tt>${acc}</tt>`;
    if (m.type === 'strike') return `<del>${acc}</del>`;
    if (m.type === 'link') return `<a href="${escape(String(m.attrs?.href ?? ''))}">${acc}</a>`;
    return acc;
  }, html);
}
