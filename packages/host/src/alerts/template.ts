// A rule's message: plain text with `{{name}}` placeholders filled from the result. Nothing
// in it is evaluated: a placeholder is a name looked up in a map, never an expression.
import { AlertTemplateInvalidError } from '../errors.js';

/** The placeholder that is always the number of rows the run read (a column of that name is shadowed). */
export const ROW_COUNT = 'row_count';

/** Longest message template accepted. */
export const MAX_TEMPLATE_CHARS = 2000;

type Part = { text: string } | { name: string };

/** Splits a template into text and placeholders; throws AIDA_ALERT_TEMPLATE_INVALID naming the problem. */
export function parseTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (;;) {
    const open = template.indexOf('{{', at);
    if (open < 0) break;
    const close = template.indexOf('}}', open + 2);
    if (close < 0) throw new AlertTemplateInvalidError(`message: "{{" at character ${open + 1} is never closed with "}}"`, { field: 'message' });
    const name = template.slice(open + 2, close).trim();
    if (!name || /[{}]/.test(name)) {
      throw new AlertTemplateInvalidError(`message: {{${template.slice(open + 2, close)}}} is not a placeholder; write {{column}} or {{${ROW_COUNT}}}`, {
        field: 'message',
      });
    }
    if (open > at) parts.push({ text: template.slice(at, open) });
    parts.push({ name });
    at = close + 2;
  }
  if (at < template.length) parts.push({ text: template.slice(at) });
  return parts;
}

/** The names a template refers to, in order of first use. */
export function placeholderNames(template: string): string[] {
  return [...new Set(parseTemplate(template).flatMap((p) => ('name' in p ? [p.name] : [])))];
}

/**
 * Fills the template: each placeholder with its value as text (null as empty, objects as
 * JSON). A name with no value stays as written, so a column dropped since the rule was saved
 * shows in the message rather than vanishing.
 */
export function renderTemplate(template: string, values: ReadonlyMap<string, unknown>): string {
  return parseTemplate(template)
    .map((p) => {
      if ('text' in p) return p.text;
      if (!values.has(p.name)) return `{{${p.name}}}`;
      return asText(values.get(p.name));
    })
    .join('');
}

function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}
