// Atlassian Document Format (the body of REST v3 descriptions and comments) flattened to plain
// text for analysts: every block (paragraph, heading, list item, code line, table cell, card)
// on its own line, and link targets kept inline (upstream #1481 dropped them). Nodes are read
// defensively: a node with malformed attrs renders as empty text, it never stops the walk
// (upstream #1483). Node reference: https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
import { asArray, asObject, asString, at, type JsonObject } from './json.js';

const INLINE_TYPES = new Set(['text', 'hardBreak', 'mention', 'emoji', 'date', 'status', 'inlineCard', 'mediaInline', 'placeholder', 'inlineExtension']);
const LINE_TYPES = new Set(['paragraph', 'heading', 'taskItem', 'decisionItem', 'caption']);
const CARD_TYPES = new Set(['blockCard', 'embedCard']);

/**
 * Plain text of a description or comment body: an ADF document, a string (REST v2 and webhook
 * bodies are already text) or null. Returns null for null or anything that is not a document.
 */
export function adfToText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  const doc = asObject(value);
  if (!doc) return null;
  const lines: string[] = [];
  block(doc, lines);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  while (lines.length && lines[0].trim() === '') lines.shift();
  return lines.join('\n');
}

function children(node: JsonObject): JsonObject[] {
  return asArray(node.content).flatMap((c): JsonObject[] => {
    const o = asObject(c);
    return o ? [o] : [];
  });
}

function block(node: JsonObject, lines: string[]): void {
  const type = asString(node.type) ?? '';
  const kids = children(node);
  if (type === 'bulletList' || type === 'orderedList') return list(node, lines);
  if (type === 'codeBlock') return pushLine(lines, kids.map((k) => asString(k.text) ?? '').join(''));
  if (CARD_TYPES.has(type)) return pushNonEmpty(lines, cardUrl(node));
  if (type === 'media') return pushNonEmpty(lines, mediaText(node));
  if (type === 'expand' || type === 'nestedExpand') pushNonEmpty(lines, asString(at(node, 'attrs', 'title')) ?? '');
  if (LINE_TYPES.has(type) || INLINE_TYPES.has(type) || (kids.length > 0 && kids.every((k) => INLINE_TYPES.has(asString(k.type) ?? '')))) {
    return pushLine(lines, INLINE_TYPES.has(type) ? inline([node]) : inline(kids));
  }
  for (const kid of kids) block(kid, lines);
}

/** List items as `- ` or `1. ` lines; an item's further lines (nested lists) are indented under its marker. */
function list(node: JsonObject, lines: string[]): void {
  const ordered = node.type === 'orderedList';
  const order = at(node, 'attrs', 'order');
  const first = typeof order === 'number' && Number.isInteger(order) ? order : 1;
  children(node).forEach((item, i) => {
    const marker = ordered ? `${first + i}. ` : '- ';
    const itemLines: string[] = [];
    if (item.type === 'listItem') for (const kid of children(item)) block(kid, itemLines);
    else block(item, itemLines);
    if (!itemLines.length) itemLines.push('');
    itemLines.forEach((line, j) => lines.push((j === 0 ? marker : ' '.repeat(marker.length)) + line));
  });
}

function pushLine(lines: string[], text: string): void {
  lines.push(...text.split('\n'));
}

/** Cards and media without a readable URL or alt text leave no empty line behind. */
function pushNonEmpty(lines: string[], text: string): void {
  if (text !== '') lines.push(text);
}

/** Inline nodes as one string; a run of text under one link mark becomes `anchor (url)`, or just the url. */
function inline(nodes: JsonObject[]): string {
  let out = '';
  let link: { href: string; text: string } | undefined;
  const flush = (): void => {
    if (!link) return;
    const text = link.text.trim();
    out += text === '' || text === link.href ? link.href : `${link.text} (${link.href})`;
    link = undefined;
  };
  for (const node of nodes) {
    const href = node.type === 'text' ? linkHref(node) : undefined;
    if (link && href !== link.href) flush();
    if (href !== undefined) {
      link ??= { href, text: '' };
      link.text += asString(node.text) ?? '';
    } else out += inlineText(node);
  }
  flush();
  return out;
}

function linkHref(node: JsonObject): string | undefined {
  for (const mark of asArray(node.marks)) {
    const href = asString(at(mark, 'attrs', 'href'));
    if (at(mark, 'type') === 'link' && href) return href;
  }
  return undefined;
}

function inlineText(node: JsonObject): string {
  const attr = (name: string): string | undefined => asString(at(node, 'attrs', name));
  switch (node.type) {
    case 'text':
      return asString(node.text) ?? '';
    case 'hardBreak':
      return '\n';
    case 'mention': {
      const name = attr('text') ?? '';
      return name.startsWith('@') ? name : `@${name}`;
    }
    case 'emoji':
      return attr('text') ?? attr('shortName') ?? '';
    case 'status':
      return attr('text') ?? '';
    case 'date':
      return dateText(at(node, 'attrs', 'timestamp'));
    case 'inlineCard':
      return cardUrl(node);
    case 'mediaInline':
      return mediaText(node);
    default:
      return inline(children(node));
  }
}

/** A smart card's link: `attrs.url`, or the `url` of its JSON-LD `attrs.data`. */
function cardUrl(node: JsonObject): string {
  return asString(at(node, 'attrs', 'url')) ?? asString(at(node, 'attrs', 'data', 'url')) ?? '';
}

/** What a media node can say in text: an external image's URL, or its alt text. */
function mediaText(node: JsonObject): string {
  const attrs = asObject(node.attrs);
  if (!attrs) return '';
  if (attrs.type === 'external' && typeof attrs.url === 'string') return attrs.url;
  return asString(attrs.alt) ?? '';
}

/** ADF dates are epoch milliseconds (as a string); shown as the UTC day. */
function dateText(timestamp: unknown): string {
  const ms = typeof timestamp === 'number' ? timestamp : typeof timestamp === 'string' ? Number(timestamp) : NaN;
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString().slice(0, 10) : '';
}
