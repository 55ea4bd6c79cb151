// The page splitter on its own: rows rewritten as NDJSON without being parsed, whatever the
// strings hold and however the answer is laid out; the rest of the answer parsed as usual.
import { describe, expect, it } from 'vitest';
import { ndjsonOfRows, splitResultsPage } from '../src/page-text.js';

const rows = [
  { f: [{ v: 'C:\\' }, { v: 'say "hi"\\n' }, { v: null }, { v: { f: [{ v: '1' }, { v: [{ v: 'a]}' }] }] } }] },
  { f: [{ v: '\u00e9\u2028\ud83d\ude00' }, { v: '' }, { v: '{"f":[]}' }, { v: [] }] },
];
const lines = (ndjson: string) =>
  ndjson
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('splitResultsPage', () => {
  it('rewrites every row as one NDJSON line of its raw cells, and parses the other fields', () => {
    const text = JSON.stringify({ kind: 'bigquery#getQueryResultsResponse', totalRows: '2', rows, pageToken: 'tok', jobComplete: true });
    const page = splitResultsPage(text);
    expect(page.meta).toEqual({ kind: 'bigquery#getQueryResultsResponse', totalRows: '2', rows: [], pageToken: 'tok', jobComplete: true });
    expect(page.rows).toBe(2);
    expect(lines(page.ndjson)).toEqual([
      { c0: 'C:\\', c1: 'say "hi"\\n', c2: null, c3: { f: [{ v: '1' }, { v: [{ v: 'a]}' }] }] } },
      { c0: '\u00e9\u2028\ud83d\ude00', c1: '', c2: '{"f":[]}', c3: [] },
    ]);
  });

  it('reads a pretty-printed answer, rows anywhere in it, and one without rows', () => {
    const pretty = JSON.stringify({ rows, schema: { fields: [{ name: 'a', type: 'STRING' }] }, totalRows: '2' }, null, 2);
    expect(splitResultsPage(pretty)).toMatchObject({ rows: 2, meta: { totalRows: '2', rows: [] } });
    expect(lines(splitResultsPage(pretty).ndjson)).toEqual(lines(ndjsonOfRows(rows)));
    expect(splitResultsPage(pretty).ndjson.split('\n')).toHaveLength(3);
    expect(splitResultsPage('{"jobComplete": false, "totalRows": "0"}')).toEqual({ meta: { jobComplete: false, totalRows: '0' }, ndjson: '', rows: 0 });
  });

  it('refuses what is not a results answer', () => {
    for (const bad of ['', '[]', '{"rows": [{"f": [{"v": "x"}]}', '{"rows": [{"f": [{"v": "x}]}]}', '{"a": 1} trailing']) {
      expect(() => splitResultsPage(bad), bad).toThrow();
    }
  });
});
