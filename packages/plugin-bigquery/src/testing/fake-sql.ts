// The GoogleSQL the fake runs, parsed honestly; anything outside it is a 400 invalidQuery
// "The fake does not support …", so no test passes on SQL the fake misread:
//
//   SELECT { * | COUNT(*) [[AS] alias] | column [[AS] alias], … }
//   FROM { `project.dataset.table` | `project`.`dataset`.`table` | project.dataset.table | dataset.table | table }
//   [WHERE cond [AND cond]…]    cond: column {> | >= | < | <= | = | != | <>} value  |  column IS [NOT] NULL
//                               value: number, 'string', TRUE/FALSE, TIMESTAMP|DATE|DATETIME|TIME|NUMERIC|BIGNUMERIC 'text', @name, ?
//   [ORDER BY column [ASC|DESC] [NULLS FIRST|LAST], …]
//   [LIMIT n [OFFSET m]] [;]
import { lex, position, syntax, unsupported, type Token } from './fake-sql-lexer.js';

export type CompareOp = '<' | '<=' | '>' | '>=' | '=' | '!=';
export type LiteralType = 'TIMESTAMP' | 'DATE' | 'DATETIME' | 'TIME' | 'NUMERIC' | 'BIGNUMERIC';

export type Operand =
  | { kind: 'number'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'typed'; type: LiteralType; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'positional'; index: number };

/** A column named in the query, with where it was named (for "Unrecognized name: x at [1:8]"). */
export interface ColumnRef {
  name: string;
  at: string;
}

export type Condition =
  { kind: 'compare'; column: ColumnRef; op: CompareOp; operand: Operand; at: string } | { kind: 'isNull'; column: ColumnRef; negated: boolean };

export type SelectList = { kind: 'star' } | { kind: 'count'; alias: string } | { kind: 'columns'; items: { column: ColumnRef; alias?: string }[] };

export interface SelectPlan {
  select: SelectList;
  /** The FROM path split into its parts (1 to 3). */
  table: { parts: string[]; at: string };
  where: Condition[];
  orderBy: { column: ColumnRef; desc: boolean; nullsFirst: boolean }[];
  limit?: number;
  offset?: number;
}

/** Words that end or shape a clause; never read as a bare column or alias. */
const RESERVED = new Set(
  'ALL AND ANY ARRAY AS ASC BETWEEN BY CASE CAST CROSS CURRENT DEFAULT DESC DISTINCT ELSE END EXCEPT EXISTS FALSE FOR FROM FULL GROUP HAVING IF IN INNER INTERSECT INTERVAL INTO IS JOIN LEFT LIKE LIMIT NOT NULL NULLS OFFSET ON OR ORDER OUTER QUALIFY RIGHT SELECT STRUCT TABLESAMPLE THEN TRUE UNION UNNEST USING WHEN WHERE WINDOW WITH'.split(
    ' ',
  ),
);
const LITERAL_TYPES = new Set<string>(['TIMESTAMP', 'DATE', 'DATETIME', 'TIME', 'NUMERIC', 'BIGNUMERIC']);

export function parseSelect(sql: string): SelectPlan {
  return new Parser(sql).statement();
}

class Parser {
  private readonly t: Token[];
  private i = 0;
  private positionals = 0;

  constructor(private readonly sql: string) {
    this.t = lex(sql);
  }

  statement(): SelectPlan {
    if (!this.keyword('SELECT')) throw this.unsupported(this.peek().kind === 'eof' ? 'an empty query' : 'this statement');
    if (this.isKeyword('DISTINCT') || this.isKeyword('ALL') || this.isKeyword('AS')) throw this.unsupported(`SELECT ${this.peek().text.toUpperCase()}`);
    const select = this.selectList();
    if (!this.keyword('FROM')) throw this.unsupported(this.peek().kind === 'eof' ? 'a query without FROM' : this.describe(this.peek()));
    const table = this.tablePath();
    const plan: SelectPlan = { select, table, where: [], orderBy: [] };
    if (this.keyword('WHERE')) plan.where = this.conditions();
    if (this.keyword('ORDER')) {
      this.expectKeyword('BY');
      plan.orderBy = this.orderList();
    }
    if (this.keyword('LIMIT')) {
      plan.limit = this.integer('LIMIT');
      if (this.keyword('OFFSET')) plan.offset = this.integer('OFFSET');
    }
    if (this.peek().text === ';' && this.peek().kind === 'op') this.i++;
    if (this.peek().kind !== 'eof') throw this.unsupported(this.describe(this.peek()));
    return plan;
  }

  private selectList(): SelectList {
    if (this.op('*')) {
      if (this.isKeyword('EXCEPT') || this.isKeyword('REPLACE')) throw this.unsupported(`SELECT * ${this.peek().text.toUpperCase()}`);
      return { kind: 'star' };
    }
    if (this.peek().kind === 'ident' && this.peek().text.toUpperCase() === 'COUNT' && this.t[this.i + 1]?.text === '(') {
      const at = this.peek().start;
      this.i += 2;
      if (!this.op('*') || !this.op(')')) throw this.unsupported('COUNT of anything but *', at);
      const alias = this.alias() ?? 'f0_';
      if (this.peek().text === ',') throw this.unsupported('COUNT(*) beside other columns', this.peek().start);
      return { kind: 'count', alias };
    }
    const items: { column: ColumnRef; alias?: string }[] = [];
    do {
      const column = this.column();
      const alias = this.alias();
      items.push(alias ? { column, alias } : { column });
    } while (this.op(','));
    return { kind: 'columns', items };
  }

  private alias(): string | undefined {
    const explicit = this.keyword('AS');
    const tok = this.peek();
    if (tok.kind === 'quoted' || (tok.kind === 'ident' && !RESERVED.has(tok.text.toUpperCase()))) {
      this.i++;
      return tok.text;
    }
    if (explicit) throw this.unsupported(`${this.describe(tok)} as an alias`);
    return undefined;
  }

  /** One top-level column: a name, plain or backquoted; paths, functions and expressions are refused. */
  private column(): ColumnRef {
    const tok = this.peek();
    const isName = tok.kind === 'quoted' ? !tok.text.includes('.') : tok.kind === 'ident' && !RESERVED.has(tok.text.toUpperCase());
    if (!isName) throw this.unsupported(tok.kind === 'eof' ? 'a missing column' : `${this.describe(tok)} as a column`);
    this.i++;
    const next = this.peek();
    if (next.kind === 'op' && (next.text === '.' || next.text === '('))
      throw this.unsupported(next.text === '.' ? 'field paths (a.b)' : `the function ${tok.text}()`, tok.start);
    if (next.kind === 'op' && ['+', '-', '*'].includes(next.text)) throw this.unsupported('expressions', next.start);
    return { name: tok.text, at: position(this.sql, tok.start) };
  }

  private tablePath(): { parts: string[]; at: string } {
    const start = this.peek().start;
    const parts: string[] = [];
    do {
      const tok = this.peek();
      if (tok.kind === 'quoted') {
        this.i++;
        parts.push(...tok.text.split('.'));
      } else if (tok.kind === 'ident' && !RESERVED.has(tok.text.toUpperCase())) {
        parts.push(this.dashedName());
      } else {
        throw this.unsupported(tok.kind === 'op' && tok.text === '(' ? 'subqueries' : `${this.describe(tok)} as a table`);
      }
    } while (this.op('.'));
    if (parts.length > 3 || parts.some((p) => !p)) throw this.unsupported(`the table path ${parts.join('.')}`, start);
    const next = this.peek();
    if (next.kind !== 'eof' && !(next.kind === 'op' && next.text === ';') && !['WHERE', 'ORDER', 'LIMIT'].includes(next.text.toUpperCase())) {
      throw this.unsupported(next.kind === 'ident' && !RESERVED.has(next.text.toUpperCase()) ? 'table aliases' : this.describe(next));
    }
    return { parts, at: position(this.sql, start) };
  }

  /** An unquoted path part; GoogleSQL lets a project id keep its dashes there (`my-project.ds.t`). */
  private dashedName(): string {
    let name = this.t[this.i++].text;
    while (
      this.peek().text === '-' &&
      this.peek().start === this.t[this.i - 1].end &&
      ['ident', 'number'].includes(this.t[this.i + 1]?.kind) &&
      this.t[this.i + 1].start === this.peek().end
    ) {
      name += `-${this.t[this.i + 1].text}`;
      this.i += 2;
    }
    return name;
  }

  private conditions(): Condition[] {
    const out: Condition[] = [];
    do {
      if (this.peek().text === '(') throw this.unsupported('parentheses in WHERE');
      if (this.isKeyword('NOT')) throw this.unsupported('NOT in WHERE');
      const column = this.column();
      if (this.keyword('IS')) {
        const negated = this.keyword('NOT');
        if (!this.keyword('NULL')) throw this.unsupported(`IS ${negated ? 'NOT ' : ''}${this.describe(this.peek())}`);
        out.push({ kind: 'isNull', column, negated });
        continue;
      }
      const opTok = this.peek();
      const op =
        opTok.kind === 'op' ? ({ '>': '>', '>=': '>=', '<': '<', '<=': '<=', '=': '=', '!=': '!=', '<>': '!=' } as const)[opTok.text as '>'] : undefined;
      if (!op) throw this.unsupported(`${this.describe(opTok)} in WHERE`);
      this.i++;
      out.push({ kind: 'compare', column, op, operand: this.operand(), at: position(this.sql, opTok.start) });
    } while (this.keyword('AND'));
    if (this.isKeyword('OR')) throw this.unsupported('OR');
    return out;
  }

  private operand(): Operand {
    const tok = this.peek();
    const upper = tok.text.toUpperCase();
    if (tok.kind === 'op' && tok.text === '-' && this.t[this.i + 1]?.kind === 'number') {
      this.i += 2;
      return this.afterValue({ kind: 'number', text: `-${this.t[this.i - 1].text}` });
    }
    this.i++;
    if (tok.kind === 'number') return this.afterValue({ kind: 'number', text: tok.text });
    if (tok.kind === 'string') return this.afterValue({ kind: 'string', value: tok.text });
    if (tok.kind === 'param') return this.afterValue({ kind: 'param', name: tok.text });
    if (tok.kind === 'positional') return this.afterValue({ kind: 'positional', index: this.positionals++ });
    if (tok.kind === 'ident' && (upper === 'TRUE' || upper === 'FALSE')) return this.afterValue({ kind: 'bool', value: upper === 'TRUE' });
    if (tok.kind === 'ident' && LITERAL_TYPES.has(upper) && this.peek().kind === 'string') {
      return this.afterValue({ kind: 'typed', type: upper as LiteralType, value: this.t[this.i++].text });
    }
    if (tok.kind === 'ident' && upper === 'NULL') throw this.unsupported('comparing with NULL (use IS NULL)', tok.start);
    throw this.unsupported(`${this.describe(tok)} as a value`, tok.start);
  }

  private afterValue(o: Operand): Operand {
    const next = this.peek();
    if (next.kind === 'op' && ['+', '-', '*', '('].includes(next.text)) throw this.unsupported('expressions', next.start);
    return o;
  }

  private orderList(): SelectPlan['orderBy'] {
    const out: SelectPlan['orderBy'] = [];
    do {
      const column = this.column();
      const desc = this.keyword('DESC');
      if (!desc) this.keyword('ASC');
      let nullsFirst = !desc;
      if (this.keyword('NULLS')) {
        if (this.keyword('FIRST')) nullsFirst = true;
        else if (this.keyword('LAST')) nullsFirst = false;
        else throw this.unsupported(`NULLS ${this.describe(this.peek())}`);
      }
      out.push({ column, desc, nullsFirst });
    } while (this.op(','));
    return out;
  }

  private integer(clause: string): number {
    const tok = this.peek();
    if (tok.kind !== 'number' || !/^\d+$/.test(tok.text)) throw this.unsupported(`${clause} ${this.describe(tok)}`);
    this.i++;
    const n = Number(tok.text);
    if (!Number.isSafeInteger(n)) throw syntax(this.sql, tok.start, `${clause} is too large`);
    return n;
  }

  private peek(): Token {
    return this.t[this.i];
  }

  private isKeyword(word: string): boolean {
    const tok = this.peek();
    return tok.kind === 'ident' && tok.text.toUpperCase() === word;
  }

  private keyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.i++;
    return true;
  }

  private expectKeyword(word: string): void {
    if (!this.keyword(word)) throw syntax(this.sql, this.peek().start, `Expected keyword ${word} but got ${this.describe(this.peek())}`);
  }

  private op(text: string): boolean {
    const tok = this.peek();
    if (tok.kind !== 'op' || tok.text !== text) return false;
    this.i++;
    return true;
  }

  private describe(tok: Token): string {
    if (tok.kind === 'eof') return 'end of input';
    if (tok.kind === 'ident') return RESERVED.has(tok.text.toUpperCase()) ? `keyword ${tok.text.toUpperCase()}` : tok.text;
    if (tok.kind === 'string') return `string literal ${JSON.stringify(tok.text)}`;
    return `"${tok.text}"`;
  }

  private unsupported(what: string, offset = this.peek().start): Error {
    return unsupported(this.sql, offset, what);
  }
}
