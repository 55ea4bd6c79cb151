// The part of JQL a connector needs, evaluated honestly against the store
// (https://support.atlassian.com/jira-service-management-cloud/docs/use-advanced-search-with-jira-query-language-jql/):
// clauses on project, key/issuekey/id, created/updated/resolutiondate (absolute
// `yyyy-MM-dd[ HH:mm]` / `yyyy/MM/dd[ HH:mm]` in the user's time zone, or relative `-5d`, `-4w 2d`),
// status and statusCategory, with = != > >= < <= IN and NOT IN, joined by AND / OR with
// parentheses, and ORDER BY key / id / created / updated [ASC|DESC].
// Errors read as Jira's do: an unknown project or issue key, an invalid date or an unbounded query
// ("Unbounded JQL queries are not allowed here…", the enhanced search's rule) is a 400. Anything
// outside that subset (functions, IS EMPTY, NOT, other fields) is a 400 saying the fake does not
// support it, so a test never passes on JQL the fake silently misread.
import type { StoredIssue } from './fake-model.js';
import type { FakeJiraStore } from './fake-store.js';
import { wallClockToMillis } from './fake-time.js';

export class JqlError extends Error {}

export const UNBOUNDED = 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';

interface Token {
  kind: 'word' | 'string' | 'op' | '(' | ')' | ',';
  value: string;
  pos: number;
}

type Node = { kind: 'and' | 'or'; left: Node; right: Node } | { kind: 'clause'; field: string; op: string; values: string[] };

export interface OrderTerm {
  field: 'key' | 'id' | 'created' | 'updated';
  desc: boolean;
}

export interface CompiledJql {
  matches: (issue: StoredIssue) => boolean;
  order: OrderTerm[];
}

export interface JqlContext {
  store: FakeJiraStore;
  now: number;
  offsetMinutes: number;
}

function tokenize(jql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < jql.length) {
    const c = jql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c, value: c, pos: i++ });
    } else if (c === '"' || c === "'") {
      let v = '';
      const start = i++;
      while (i < jql.length && jql[i] !== c) {
        if (jql[i] === '\\') i++;
        v += jql[i++] ?? '';
      }
      if (i >= jql.length) throw new JqlError(`Error in the JQL Query: The quoted string starting at character ${start + 1} is not terminated.`);
      i++;
      out.push({ kind: 'string', value: v, pos: start });
    } else {
      const op = /^(!=|>=|<=|!~|=|>|<|~)/.exec(jql.slice(i));
      if (op) {
        out.push({ kind: 'op', value: op[1], pos: i });
        i += op[1].length;
        continue;
      }
      const start = i;
      while (i < jql.length && !/[\s(),="'!<>~]/.test(jql[i])) i++;
      out.push({ kind: 'word', value: jql.slice(start, i), pos: start });
    }
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly t: Token[]) {}

  parse(): { where: Node | null; order: { field: string; desc: boolean }[] } {
    const where = this.peekKeyword('order') || this.done() ? null : this.or();
    const order: { field: string; desc: boolean }[] = [];
    if (this.takeKeyword('order')) {
      if (!this.takeKeyword('by')) this.fail("Expecting 'by' after 'order'");
      do {
        const field = this.value('a field to sort by');
        const desc = this.takeKeyword('desc');
        if (!desc) this.takeKeyword('asc');
        order.push({ field, desc });
      } while (this.take(','));
    }
    if (!this.done()) this.fail(`Expecting either 'OR' or 'AND' but got '${this.t[this.i].value}'`);
    return { where, order };
  }

  private or(): Node {
    let left = this.and();
    while (this.takeKeyword('or')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  private and(): Node {
    let left = this.term();
    while (this.takeKeyword('and')) left = { kind: 'and', left, right: this.term() };
    return left;
  }

  private term(): Node {
    if (this.take('(')) {
      const n = this.or();
      if (!this.take(')')) this.fail("Expecting ')'");
      return n;
    }
    if (this.peekKeyword('not')) throw new JqlError("Error in the JQL Query: the fake Jira does not support the 'NOT' keyword.");
    const field = this.value('a field name');
    let op: string;
    if (this.t[this.i]?.kind === 'op') op = this.t[this.i++].value;
    else if (this.takeKeyword('in')) op = 'in';
    else if (this.takeKeyword('not')) {
      if (!this.takeKeyword('in')) this.fail("Expecting 'IN' after 'NOT'");
      op = 'not in';
    } else if (this.peekKeyword('is') || this.peekKeyword('was') || this.peekKeyword('changed')) {
      throw new JqlError(`Error in the JQL Query: the fake Jira does not support the '${this.t[this.i].value.toUpperCase()}' operator.`);
    } else return this.fail(`Expecting an operator after '${field}'`);
    const values: string[] = [];
    if (op === 'in' || op === 'not in') {
      if (!this.take('(')) this.fail("Expecting '(' after 'IN'");
      do values.push(this.value('a value'));
      while (this.take(','));
      if (!this.take(')')) this.fail("Expecting ')' to close the list");
    } else values.push(this.value('a value'));
    if (this.t[this.i]?.kind === '(') throw new JqlError('Error in the JQL Query: the fake Jira does not support JQL functions.');
    return { kind: 'clause', field, op, values };
  }

  private value(what: string): string {
    const tok = this.t[this.i];
    if (!tok || (tok.kind !== 'word' && tok.kind !== 'string')) return this.fail(`Expecting ${what}`);
    this.i++;
    return tok.value;
  }

  private done(): boolean {
    return this.i >= this.t.length;
  }

  private take(kind: Token['kind']): boolean {
    if (this.t[this.i]?.kind !== kind) return false;
    this.i++;
    return true;
  }

  private peekKeyword(k: string): boolean {
    const tok = this.t[this.i];
    return tok?.kind === 'word' && tok.value.toLowerCase() === k;
  }

  private takeKeyword(k: string): boolean {
    if (!this.peekKeyword(k)) return false;
    this.i++;
    return true;
  }

  private fail(msg: string): never {
    const tok = this.t[this.i];
    const where = tok ? `but got '${tok.value}'. (line 1, character ${tok.pos + 1})` : 'but reached the end of the query.';
    throw new JqlError(`Error in the JQL Query: ${msg} ${where}`);
  }
}

const DATE_FORMATS = "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.";
const UNIT_MS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000 };

function parseDate(v: string, field: string, ctx: JqlContext): number {
  const abs = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(v.trim());
  if (abs) {
    const [y, mo, d, h, mi] = abs.slice(1).map((x) => Number(x ?? 0));
    return wallClockToMillis(y, mo, d, h, mi, ctx.offsetMinutes);
  }
  const parts = v.trim().split(/\s+/);
  const sign = parts[0].startsWith('-') ? -1 : 1;
  let total = 0;
  for (const [n, p] of parts.entries()) {
    const m = (n === 0 ? /^[-+]?(\d+)([wdhm])$/ : /^(\d+)([wdhm])$/).exec(p);
    if (!m) throw new JqlError(`Date value '${v}' for field '${field}' is invalid. ${DATE_FORMATS}`);
    total += Number(m[1]) * UNIT_MS[m[2]];
  }
  return ctx.now + sign * total;
}

const CATEGORY_BY_VALUE: Record<string, string> = {
  'to do': 'new',
  new: 'new',
  '2': 'new',
  'in progress': 'indeterminate',
  indeterminate: 'indeterminate',
  '4': 'indeterminate',
  done: 'done',
  '3': 'done',
};

function compare(a: number | null, op: string, b: number): boolean {
  if (a === null) return false;
  if (op === '=') return a === b;
  if (op === '!=') return a !== b;
  if (op === '>') return a > b;
  if (op === '>=') return a >= b;
  if (op === '<') return a < b;
  if (op === '<=') return a <= b;
  throw new JqlError(`Error in the JQL Query: The operator '${op}' is not supported by the date fields.`);
}

/** A predicate testing membership of an issue's value in the clause's resolved values. */
function membership(op: string, field: string, resolved: Set<string>, of: (i: StoredIssue) => string): (i: StoredIssue) => boolean {
  if (op === '=' || op === 'in') return (i) => resolved.has(of(i));
  if (op === '!=' || op === 'not in') return (i) => !resolved.has(of(i));
  throw new JqlError(`Error in the JQL Query: The operator '${op}' is not supported by the '${field}' field.`);
}

function clause(field: string, op: string, values: string[], ctx: JqlContext): (i: StoredIssue) => boolean {
  const f = field.toLowerCase();
  if (f === 'project') {
    const keys = values.map((v) => {
      const p = [...ctx.store.projects.values()].find((x) => x.key.toLowerCase() === v.toLowerCase() || x.name.toLowerCase() === v.toLowerCase() || x.id === v);
      if (!p) throw new JqlError(`The value '${v}' does not exist for the field 'project'.`);
      return p.key;
    });
    return membership(op, field, new Set(keys), (i) => i.projectKey);
  }
  if (f === 'key' || f === 'issuekey' || f === 'id') {
    const keys = values.map((v) => {
      const i = ctx.store.get(v.toUpperCase()) ?? ctx.store.get(v);
      if (!i) throw new JqlError(`An issue with key '${v}' does not exist for field '${field}'.`);
      return i.key;
    });
    return membership(op, field, new Set(keys), (i) => i.key);
  }
  if (f === 'statuscategory') {
    const cats = values.map((v) => {
      const c = CATEGORY_BY_VALUE[v.toLowerCase()];
      if (!c) throw new JqlError(`The value '${v}' does not exist for the field 'statusCategory'.`);
      return c;
    });
    return membership(op, field, new Set(cats), (i) => i.status.category);
  }
  if (f === 'status') {
    const names = values.map((v) => {
      const s = ctx.store.catalog.statuses.get(v.toLowerCase()) ?? [...ctx.store.catalog.statuses.values()].find((x) => x.id === v);
      if (!s) throw new JqlError(`The value '${v}' does not exist for the field 'status'.`);
      return s.name.toLowerCase();
    });
    return membership(op, field, new Set(names), (i) => i.status.name.toLowerCase());
  }
  const dateField = (
    {
      created: 'created',
      createddate: 'created',
      updated: 'updated',
      updateddate: 'updated',
      resolutiondate: 'resolutiondate',
      resolved: 'resolutiondate',
    } as const
  )[f];
  if (dateField) {
    if (values.length !== 1) throw new JqlError(`Error in the JQL Query: The operator '${op.toUpperCase()}' is not supported by the '${field}' field.`);
    const at = parseDate(values[0], field, ctx);
    return (i) => compare(i[dateField], op, at);
  }
  throw new JqlError(`Error in the JQL Query: the fake Jira does not support the field '${field}'.`);
}

function compileNode(n: Node, ctx: JqlContext): (i: StoredIssue) => boolean {
  if (n.kind === 'clause') return clause(n.field, n.op, n.values, ctx);
  const l = compileNode(n.left, ctx);
  const r = compileNode(n.right, ctx);
  return n.kind === 'and' ? (i) => l(i) && r(i) : (i) => l(i) || r(i);
}

/** Parses and checks the query; throws JqlError with Jira's wording for what Jira would reject. */
export function compileJql(jql: string | undefined, ctx: JqlContext): CompiledJql {
  const { where, order } = new Parser(tokenize(jql ?? '')).parse();
  if (!where) throw new JqlError(UNBOUNDED);
  const terms = order.map(({ field, desc }) => {
    const f = ({ key: 'key', issuekey: 'key', id: 'id', created: 'created', createddate: 'created', updated: 'updated', updateddate: 'updated' } as const)[
      field.toLowerCase()
    ];
    if (!f) throw new JqlError(`Error in the JQL Query: the fake Jira cannot sort by '${field}'.`);
    return { field: f, desc };
  });
  return { matches: compileNode(where, ctx), order: terms.length ? terms : [{ field: 'key', desc: false }] };
}

/** Orders as Jira does: keys by project, then by issue number (SUP-10 after SUP-9). */
export function compareIssues(order: OrderTerm[]): (a: StoredIssue, b: StoredIssue) => number {
  const num = (k: string): number => Number(k.slice(k.lastIndexOf('-') + 1));
  return (a, b) => {
    for (const { field, desc } of order) {
      let d: number;
      if (field === 'key') d = a.projectKey === b.projectKey ? num(a.key) - num(b.key) : a.projectKey < b.projectKey ? -1 : 1;
      else if (field === 'id') d = Number(a.id) - Number(b.id);
      else d = a[field] - b[field];
      if (d !== 0) return desc ? -d : d;
    }
    return Number(a.id) - Number(b.id);
  };
}
