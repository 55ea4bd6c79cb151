// GoogleSQL's tokens, as far as the fake's subset needs them: identifiers (plain and
// backquoted), numbers, quoted strings with backslash escapes, operators, `@name` and `?`
// parameters; comments (`--`, `#`, `/* */`) are skipped. Positions are kept so errors can say
// `at [line:column]` as BigQuery's do.
import { BigQueryError } from './fake-errors.js';

export type TokenKind = 'ident' | 'quoted' | 'number' | 'string' | 'op' | 'param' | 'positional' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The source text (for strings and quoted identifiers: the unescaped value). */
  text: string;
  start: number;
  end: number;
}

const OPERATORS = ['>=', '<=', '!=', '<>', '>', '<', '=', ',', '(', ')', '*', '.', ';', '-', '+'];

export function lex(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (sql.startsWith('--', i) || c === '#') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (sql.startsWith('/*', i)) {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw syntax(sql, i, 'Unclosed comment');
      i = close + 2;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (/\d/.test(c)) {
      const m = /^\d+(?:\.\d*)?(?:[eE][+-]?\d+)?/.exec(sql.slice(i))!;
      tokens.push({ kind: 'number', text: m[0], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (c === '`' || c === "'" || c === '"') {
      const { value, end } = quoted(sql, i);
      tokens.push({ kind: c === '`' ? 'quoted' : 'string', text: value, start: i, end });
      i = end;
    } else if (c === '@') {
      const m = /^@([A-Za-z_][A-Za-z0-9_]*)/.exec(sql.slice(i));
      if (!m) throw unsupported(sql, i, `the parameter ${sql.slice(i, i + 2)}`);
      tokens.push({ kind: 'param', text: m[1], start: i, end: i + m[0].length });
      i += m[0].length;
    } else if (c === '?') {
      tokens.push({ kind: 'positional', text: '?', start: i, end: i + 1 });
      i++;
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      if (!op) throw unsupported(sql, i, `the character ${JSON.stringify(c)}`);
      tokens.push({ kind: 'op', text: op, start: i, end: i + op.length });
      i += op.length;
    }
  }
  tokens.push({ kind: 'eof', text: '', start: sql.length, end: sql.length });
  return tokens;
}

function quoted(sql: string, start: number): { value: string; end: number } {
  const q = sql[start];
  let value = '';
  let i = start + 1;
  while (i < sql.length && sql[i] !== q) {
    if (sql[i] === '\\' && i + 1 < sql.length) {
      const e = sql[i + 1];
      value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e;
      i += 2;
    } else {
      if (sql[i] === '\n' && q !== '`') throw syntax(sql, start, 'Unclosed string literal');
      value += sql[i++];
    }
  }
  if (i >= sql.length) throw syntax(sql, start, q === '`' ? 'Unclosed identifier literal' : 'Unclosed string literal');
  return { value, end: i + 1 };
}

/** `[line:column]` of an offset, 1-based, as BigQuery's messages write it. */
export function position(sql: string, offset: number): string {
  const before = sql.slice(0, offset).split('\n');
  return `[${before.length}:${before[before.length - 1].length + 1}]`;
}

export const SUPPORTED_SHAPE =
  'it runs only SELECT <columns | * | COUNT(*)> FROM <table> [WHERE <column> <op> <value> [AND …]] [ORDER BY <column> [ASC|DESC], …] [LIMIT n [OFFSET m]]';

export function unsupported(sql: string, offset: number, what: string): BigQueryError {
  return BigQueryError.invalidQuery(`The fake does not support ${what} at ${position(sql, offset)}; ${SUPPORTED_SHAPE}`);
}

export function syntax(sql: string, offset: number, message: string): BigQueryError {
  return BigQueryError.invalidQuery(`Syntax error: ${message} at ${position(sql, offset)}`);
}
