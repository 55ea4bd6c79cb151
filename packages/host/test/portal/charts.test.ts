import { describe, expect, it } from 'vitest';
import type { ColumnProfile } from '../../src/data/profiles/types.js';
import { columnChart, escapeXml, histogramChart, noValuesChart, ratioChart, topValuesChart } from '../../src/portal/charts.js';

/** The bars of a chart: rects with class "bar", with their numeric attributes. */
function bars(svg: string): { x: number; y: number; width: number; height: number; title: string }[] {
  return [...svg.matchAll(/<rect class="bar" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"[^>]*><title>([^<]*)<\/title><\/rect>/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    width: Number(m[3]),
    height: Number(m[4]),
    title: m[5]!,
  }));
}

/** Every chart is an accessible image, and nothing in it needs an inline style the CSP would block. */
function expectWellFormed(svg: string): void {
  expect(svg.startsWith('<svg ')).toBe(true);
  expect(svg.endsWith('</svg>')).toBe(true);
  expect(svg).toMatch(/^<svg [^>]*role="img"[^>]*aria-label="[^"]+"/);
  expect(svg).toMatch(/<title>[^<]+<\/title>/);
  expect(svg).not.toMatch(/style=/);
  expect(svg).not.toMatch(/<script/);
  expect(svg.match(/<svg/g)).toHaveLength(1);
  expect(svg.match(/<rect/g)?.length ?? 0).toBe(svg.match(/<\/rect>|<rect [^>]*\/>/g)?.length ?? 0);
}

describe('histogramChart', () => {
  const bins = [
    { lower: 0, upper: 10, count: 5 },
    { lower: 10, upper: 20, count: 20 },
    { lower: 20, upper: 30, count: 10 },
    { lower: 30, upper: 40, count: 0 },
  ];

  it('draws one bar per bin, heights proportional to the counts, on one baseline', () => {
    const svg = histogramChart(bins, 'Distribution of amount');
    expectWellFormed(svg);
    const b = bars(svg);
    expect(b).toHaveLength(4);
    const tallest = b[1]!.height;
    expect(tallest).toBeGreaterThan(0);
    expect(b[0]!.height / tallest).toBeCloseTo(5 / 20, 2);
    expect(b[2]!.height / tallest).toBeCloseTo(10 / 20, 2);
    expect(b[3]!.height).toBe(0);
    // Bars stand on the same baseline, left to right, and do not overlap.
    const baselines = new Set(b.map((r) => Math.round((r.y + r.height) * 10)));
    expect(baselines.size).toBe(1);
    for (let i = 1; i < b.length; i++) expect(b[i]!.x).toBeGreaterThanOrEqual(b[i - 1]!.x + b[i - 1]!.width);
  });

  it('names each bin and its count, and describes the whole chart', () => {
    const svg = histogramChart(bins, 'Distribution of amount');
    expect(bars(svg).map((r) => r.title)).toEqual(['0–10: 5', '10–20: 20', '20–30: 10', '30–40: 0']);
    expect(svg).toContain('aria-label="Distribution of amount: 4 bins from 0 to 40; the largest, 10–20, holds 20"');
  });

  it('labels one-value integer bins by their value and date periods by their period', () => {
    const perValue = histogramChart(
      [
        { lower: 0, upper: 1, count: 3 },
        { lower: 1, upper: 2, count: 4 },
      ],
      'Distribution of stars',
    );
    expect(bars(perValue).map((r) => r.title)).toEqual(['1: 3', '2: 4']);
    const periods = histogramChart(
      [
        { period: '2024-01', count: 1_234 },
        { period: '2024-02', count: 10 },
      ],
      'Values of day per month',
    );
    expect(bars(periods).map((r) => r.title)).toEqual(['2024-01: 1,234', '2024-02: 10']);
    expect(periods).toContain('from 2024-01 to 2024-02');
  });

  it('escapes everything that goes in', () => {
    const svg = histogramChart([{ period: '<b>&"x"\'', count: 1 }], 'Values of <script>alert(1)</script>');
    expectWellFormed(svg);
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(svg).toContain('&#60;b&#62;&#38;&#34;x&#34;&#39;: 1');
  });

  it('says "No values" for no bins or only empty ones, as a valid chart', () => {
    for (const empty of [[], [{ lower: 0, upper: 1, count: 0 }]]) {
      const svg = histogramChart(empty, 'Distribution of x');
      expectWellFormed(svg);
      expect(svg).toContain('>No values</text>');
      expect(svg).toContain('aria-label="Distribution of x: no values"');
      expect(bars(svg)).toHaveLength(0);
    }
  });
});

describe('topValuesChart', () => {
  it('draws one horizontal bar per value, widths proportional to the counts, with counts and shares', () => {
    const svg = topValuesChart(
      [
        { value: 'c1', count: 40 },
        { value: 'c2', count: 10 },
      ],
      'Most frequent values of customer',
      100,
    );
    expectWellFormed(svg);
    const b = bars(svg);
    expect(b).toHaveLength(2);
    expect(b[1]!.width / b[0]!.width).toBeCloseTo(10 / 40, 2);
    expect(b[0]!.x).toBe(b[1]!.x);
    expect(b[1]!.y).toBeGreaterThan(b[0]!.y);
    expect(b.map((r) => r.title)).toEqual(['c1: 40 (40%)', 'c2: 10 (10%)']);
    expect(svg).toContain('>c1</text>');
    expect(svg).toContain('>40 (40%)</text>');
  });

  it('shortens long labels but keeps the whole value in the bar title, escaped', () => {
    const long = `<img src=x onerror=alert(1)> ${'a'.repeat(50)}`;
    const svg = topValuesChart([{ value: long, count: 1 }], 'Top "values"');
    expectWellFormed(svg);
    expect(svg).not.toContain('<img');
    expect(svg).toContain(`${escapeXml(long)}: 1`);
    expect(svg).toContain('aria-label="Top &#34;values&#34;: 1 most frequent value');
    expect(svg).toMatch(/>&#60;img src=x oner…<\/text>/);
    expect(svg).toContain('occurs once');
  });

  it('says "No values" when there are none', () => {
    const svg = topValuesChart([], 'Most frequent values of name');
    expectWellFormed(svg);
    expect(svg).toContain('No values');
  });
});

describe('ratioChart', () => {
  it('fills the bar to the fraction, clamped to 0–1', () => {
    const fill = (svg: string) => Number(/<rect class="fill" x="0" y="0" width="([\d.]+)"/.exec(svg)![1]);
    const track = (svg: string) => Number(/<rect class="track" x="0" y="0" width="([\d.]+)"/.exec(svg)![1]);
    const quarter = ratioChart(0.25, 'Nulls in amount');
    expectWellFormed(quarter);
    expect(fill(quarter) / track(quarter)).toBeCloseTo(0.25, 3);
    expect(quarter).toContain('aria-label="Nulls in amount: 25%"');
    expect(fill(ratioChart(3, 'x'))).toBe(track(ratioChart(3, 'x')));
    expect(fill(ratioChart(-1, 'x'))).toBe(0);
    expect(fill(ratioChart(Number.NaN, 'x'))).toBe(0);
  });
});

describe('columnChart', () => {
  const base = { null_count: 0, null_pct: 0, distinct_count: 2, distinct_approx: false };

  it('picks a histogram for numbers and dates, top values for text, true/false for booleans, nothing otherwise', () => {
    const numeric: ColumnProfile = { ...base, name: 'amount', type: 'DOUBLE', kind: 'numeric', histogram: [{ lower: 0, upper: 1, count: 2 }] };
    const temporal: ColumnProfile = {
      ...base,
      name: 'day',
      type: 'DATE',
      kind: 'temporal',
      histogram_unit: 'month',
      histogram: [{ period: '2024-01', count: 2 }],
    };
    const text: ColumnProfile = { ...base, name: 'customer', type: 'VARCHAR', kind: 'string', top_values: [{ value: 'c1', count: 2 }] };
    const bool: ColumnProfile = { ...base, name: 'active', type: 'BOOLEAN', kind: 'boolean', true_count: 3, false_count: 1 };
    const nested: ColumnProfile = { ...base, name: 'tags', type: 'VARCHAR[]', kind: 'nested' };
    expect(columnChart(numeric)).toContain('class="chart histogram"');
    expect(columnChart(temporal)).toContain('aria-label="Values of day per month');
    expect(columnChart(text, 2)).toContain('class="chart top-values"');
    expect(bars(columnChart(bool, 4)!).map((r) => r.title)).toEqual(['true: 3 (75%)', 'false: 1 (25%)']);
    expect(columnChart(nested)).toBeNull();
    // A numeric column whose profile has no histogram (all nulls) still gets a valid chart.
    expect(columnChart({ ...numeric, histogram: undefined })).toBe(noValuesChart('Distribution of amount'));
  });
});
