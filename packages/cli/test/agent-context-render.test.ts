// How the agent context text degrades as tables multiply: each step keeps within the budget and
// says what it left out.
import { describe, expect, it } from 'vitest';
import { renderContext, type ContextInputs } from '../src/agent-context/render.js';

function inputs(n: number): ContextInputs {
  const tables = Array.from({ length: n }, (_, i) => ({
    id: `t${String(i).padStart(5, '0')}`,
    description: `Table number ${i}, with a description long enough to matter when there are many of them`,
    source: 'shop',
    source_type: 'keboola',
    bucket: 'shop',
    rows: i * 10,
    updated: '2026-01-02T03:04:05.000Z',
    hash: String(i),
  }));
  const columns = new Map(tables.map((t) => [t.id, Array.from({ length: 8 }, (_, c) => ({ name: `column_${c}`, type: 'VARCHAR' }))]));
  return { catalog: { server: 'https://aida.example.com', synced_at: null, tables }, columns, profiles: new Map() };
}

const bytes = (s: string) => Buffer.byteLength(s);

describe('the agent context text', () => {
  it('steps down from full to compact, brief, names and some names, within the budget at each step', () => {
    const steps = [
      { n: 5, detail: 'full' },
      { n: 195, detail: 'compact' },
      { n: 400, detail: 'brief' },
      { n: 800, detail: 'names' },
      { n: 5000, detail: 'some_names' },
    ] as const;
    for (const { n, detail } of steps) {
      const { body, detail: got } = renderContext(inputs(n), 60_000);
      expect(got, `${n} tables`).toBe(detail);
      expect(bytes(body)).toBeLessThanOrEqual(60_000);
      if (detail !== 'full') expect(body).toMatch(/This list is abridged to stay under its size limit/);
    }
    expect(renderContext(inputs(195), 60_000).body).toMatch(/^Columns: column_0 VARCHAR, column_1 VARCHAR/m);
    expect(renderContext(inputs(400), 60_000).body).toMatch(/^- `t00001` \(10 rows\): column_0, column_1, /m);
    expect(renderContext(inputs(800), 60_000).body).toMatch(/^- `t00001` \(10 rows\)$/m);
  });

  it('when only some names fit, names as many as it can and counts the rest', () => {
    const { body } = renderContext(inputs(5000), 60_000);
    const named = [...body.matchAll(/^- `(t\d+)`/gm)].length;
    expect(named).toBeGreaterThan(2000);
    expect(body).toMatch(new RegExp(`^- … and ${(5000 - named).toLocaleString('en-US')} more tables: \`list_tables\``, 'm'));
    expect(bytes(body)).toBeGreaterThan(55_000); // the room is used, not wasted
  });
});
