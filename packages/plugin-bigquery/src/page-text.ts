// A page of query results as staging text, without parsing its rows into objects: the rows of
// a getQueryResults answer (`"rows": [{"f": [{"v": X0}, {"v": X1}]}, …]`) are rewritten as
// NDJSON lines `{"c0": X0, "c1": X1}`, each X copied as the JSON text it is (a string, null,
// or a STRUCT's / array's f/v JSON), and the answer's other fields are parsed as usual. Turning
// every row of a page into objects and back was most of the connector's own cost per row;
// DuckDB's JSON reader unescapes the text and types.ts's casts read it.
import type { Row } from './api-types.js';

export interface PageText {
  /** The answer with `rows` emptied, parsed (totalRows, pageToken, schema, jobComplete…). */
  meta: unknown;
  /** One line per row; column i under `c<i>`. */
  ndjson: string;
  rows: number;
}

class MalformedPage extends Error {}

const keys: string[] = [];
/** `{"c0":` for the first cell of a row, `,"c<i>":` for the others. */
function keyOf(i: number): string {
  return (keys[i] ??= `${i ? ',' : '{'}"c${i}":`);
}

/** Splits the JSON text of a getQueryResults answer; a text that is not one throws. */
export function splitResultsPage(text: string): PageText {
  const s = new Scanner(text);
  let rowsAt: [number, number] | undefined;
  let out = { ndjson: '', rows: 0 };
  s.expect(123); // {
  s.members(() => {
    const key = s.key();
    if (key !== 'rows') return s.skipValue();
    const start = s.i;
    out = readRows(s);
    rowsAt = [start, s.i];
  });
  s.end();
  const metaText = rowsAt ? `${text.slice(0, rowsAt[0])}[]${text.slice(rowsAt[1])}` : text;
  return { meta: JSON.parse(metaText) as unknown, ...out };
}

/** The same lines for rows already parsed (the page that came with the wait for the job). */
export function ndjsonOfRows(rows: readonly Row[]): string {
  let out = '';
  for (const row of rows) {
    const cells = row.f ?? [];
    if (!cells.length) out += '{';
    for (let i = 0; i < cells.length; i++) out += keyOf(i) + JSON.stringify(cells[i]?.v ?? null);
    out += '}\n';
  }
  return out;
}

/** `[{"f": [{"v": …}, …]}, …]` → NDJSON lines. */
function readRows(s: Scanner): { ndjson: string; rows: number } {
  let ndjson = '';
  let rows = 0;
  s.expect(91); // [
  s.elements(() => {
    s.expect(123);
    let cells = 0;
    s.members(() => {
      if (s.key() !== 'f') return s.skipValue();
      s.expect(91);
      s.elements(() => {
        s.expect(123);
        let value = 'null';
        s.members(() => {
          if (s.key() !== 'v') return s.skipValue();
          const start = s.i;
          s.skipValue();
          value = s.text.slice(start, s.i);
          // A pretty-printed STRUCT or array spans lines; its line breaks lie between tokens
          // (a JSON string holds none), so dropping them keeps it one NDJSON line.
          if (/[\r\n]/.test(value)) value = value.replace(/[\r\n]\s*/g, '');
        });
        ndjson += keyOf(cells++) + value;
      });
    });
    ndjson += cells ? '}\n' : '{}\n';
    rows++;
  });
  return { ndjson, rows };
}

/** Just enough of a JSON reader to walk the structure and find where values end. */
class Scanner {
  i = 0;
  constructor(readonly text: string) {}

  private ws(): void {
    const t = this.text;
    let c = t.charCodeAt(this.i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = t.charCodeAt(++this.i);
  }

  private peek(): number {
    this.ws();
    return this.text.charCodeAt(this.i);
  }

  expect(code: number): void {
    if (this.peek() !== code) throw this.malformed(`expected ${String.fromCharCode(code)}`);
    this.i++;
  }

  /** The members of an object whose `{` was read, up to its `}`; `member` reads one key and value. */
  members(member: () => void): void {
    if (this.peek() === 125) return void this.i++;
    for (;;) {
      member();
      const c = this.peek();
      this.i++;
      if (c === 125) return;
      if (c !== 44) throw this.malformed('expected , or }');
    }
  }

  /** The elements of an array whose `[` was read, up to its `]`. */
  elements(element: () => void): void {
    if (this.peek() === 93) return void this.i++;
    for (;;) {
      element();
      const c = this.peek();
      this.i++;
      if (c === 93) return;
      if (c !== 44) throw this.malformed('expected , or ]');
    }
  }

  /** A member's key and its `:` (keys here are plain: no escapes to decode). */
  key(): string {
    if (this.peek() !== 34) throw this.malformed('expected a key');
    const start = this.i;
    this.skipString();
    const key = this.text.slice(start + 1, this.i - 1);
    this.expect(58); // :
    this.ws();
    return key;
  }

  skipValue(): void {
    const c = this.peek();
    if (c === 34) return this.skipString();
    if (c === 123 || c === 91) return this.skipNested();
    const start = this.i;
    const t = this.text;
    // true, false, null or a number: up to the next delimiter.
    for (
      let d = t.charCodeAt(this.i);
      this.i < t.length && d !== 44 && d !== 125 && d !== 93 && d !== 32 && d !== 10 && d !== 13 && d !== 9;
      d = t.charCodeAt(++this.i)
    );
    if (this.i === start) throw this.malformed('expected a value');
  }

  end(): void {
    this.ws();
    if (this.i !== this.text.length) throw this.malformed('text after the answer');
  }

  private skipString(): void {
    const t = this.text;
    let from = this.i + 1;
    for (;;) {
      const quote = t.indexOf('"', from);
      if (quote < 0) throw this.malformed('unterminated string');
      let backslashes = 0;
      while (t.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
      if (backslashes % 2 === 0) {
        this.i = quote + 1;
        return;
      }
      from = quote + 1;
    }
  }

  private skipNested(): void {
    const t = this.text;
    let depth = 0;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c === 34) {
        this.skipString();
        continue;
      }
      if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        depth--;
        if (depth === 0) {
          this.i++;
          return;
        }
      }
      this.i++;
    }
    throw this.malformed('unterminated object or array');
  }

  private malformed(what: string): MalformedPage {
    return new MalformedPage(`${what} at character ${this.i}`);
  }
}
