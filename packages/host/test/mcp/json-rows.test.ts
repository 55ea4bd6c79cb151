import { describe, expect, it } from 'vitest';
import { splitQueryAnswer } from '../../src/mcp/json-rows.js';

const answer = (columns: unknown, rows: unknown[][], truncated = false) =>
  `{"columns":${JSON.stringify(columns)},"rows":[${rows.map((r) => JSON.stringify(r)).join(',')}],"row_count":${rows.length},"truncated":${truncated}}`;

describe('splitting the query runner’s JSON answer into row texts', () => {
  it('keeps each row’s text as written, also with brackets, quotes, commas and escapes inside strings', () => {
    const rows = [
      [1, 'a],[b', '{"x":[1,2]}', null],
      [2, 'quote \\" and backslash \\\\', 'line\nbreak', [1, [2, 3]]],
      [3, '', '\u2028', { k: ']' }],
    ];
    const text = answer(
      [
        { name: 'id', type: 'BIGINT' },
        { name: 'rows"],[', type: 'VARCHAR' },
      ],
      rows,
      true,
    );
    const split = splitQueryAnswer(text);
    expect(split.columns[1]!.name).toBe('rows"],[');
    expect(split.rows).toEqual(rows.map((r) => JSON.stringify(r)));
    expect(split.truncated).toBe(true);
  });

  it('keeps exact number texts (DECIMAL digits) rather than re-encoding them', () => {
    const text = '{"columns":[{"name":"amount","type":"DECIMAL(8,2)"}],"rows":[[12.50],[-0.10]],"row_count":2,"truncated":false}';
    expect(splitQueryAnswer(text).rows).toEqual(['[12.50]', '[-0.10]']);
  });

  it('reads an empty result', () => {
    expect(splitQueryAnswer(answer([{ name: 'x', type: 'INTEGER' }], []))).toEqual({ columns: [{ name: 'x', type: 'INTEGER' }], rows: [], truncated: false });
  });

  it('fails loudly on a text that is not such an answer', () => {
    expect(() => splitQueryAnswer('{"rows":[]}')).toThrow(/no \{"columns":/);
    expect(() => splitQueryAnswer('{"columns":[],"rows":[[1] [2]],"row_count":2,"truncated":false}')).toThrow(/no , or \]/);
  });
});
