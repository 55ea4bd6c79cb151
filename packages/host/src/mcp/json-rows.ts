// The query runner's JSON answer (`{"columns":[…],"rows":[[…],[…]],"row_count":n,"truncated":b}`)
// split into its columns and each row's own JSON text, without parsing the values: a page of the
// MCP query tool then holds rows exactly as POST /api/query writes them (DECIMAL digits, big
// integers as strings, timestamps), and only whole rows.

export interface SplitAnswer {
  columns: { name: string; type: string }[];
  rows: string[];
  truncated: boolean;
}

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** The index just past the JSON array or object starting at `start` (strings are skipped whole). */
function valueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first !== OPEN_ARRAY && first !== OPEN_OBJECT) throw new Error(`the query answer has no array or object at ${start}`);
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (--depth === 0) return i + 1;
    }
  }
  throw new Error('the query answer ends inside a value');
}

function expect(text: string, at: number, literal: string): number {
  if (!text.startsWith(literal, at)) throw new Error(`the query answer has no ${literal} at ${at}`);
  return at + literal.length;
}

export function splitQueryAnswer(text: string): SplitAnswer {
  let i = expect(text, 0, '{"columns":');
  const columnsEnd = valueEnd(text, i);
  const columns = JSON.parse(text.slice(i, columnsEnd)) as SplitAnswer['columns'];
  i = expect(text, columnsEnd, ',"rows":[');
  const rows: string[] = [];
  while (text.charCodeAt(i) !== CLOSE_ARRAY) {
    const end = valueEnd(text, i);
    rows.push(text.slice(i, end));
    const next = text.charCodeAt(end);
    if (next !== COMMA && next !== CLOSE_ARRAY) throw new Error(`the query answer has no , or ] after row ${rows.length}`);
    i = next === COMMA ? end + 1 : end;
  }
  const tail = JSON.parse(`{${text.slice(i + 2)}`) as { truncated: boolean };
  return { columns, rows, truncated: tail.truncated };
}
