// Chart images for notifications (alerts, scripts): a Vega-Lite spec compiled to Vega,
// rendered headless to SVG and rasterised to PNG by resvg. No browser, no canvas, no network.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { InputError } from '@aida/core';

export interface ChartSpec {
  type: 'line' | 'bar';
  /** Column for the horizontal axis. */
  x: string;
  /** Numeric column for the vertical axis. */
  y: string;
  title?: string;
}

export interface ChartData {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

/** Rows drawn at most; the rest are left out (a chart of more says nothing more in a chat). */
export const MAX_CHART_ROWS = 5000;
/** The drawing area, in CSS pixels; the PNG is twice that (sharp on phones), whatever the data. */
const WIDTH = 640;
const HEIGHT = 320;
const ZOOM = 2;
const MAX_TITLE_CHARS = 120;

// Shipped with the package so labels render the same on a machine without any system font
// (resvg draws no text without one). DejaVu Sans, Bitstream Vera licence (LICENSE-DejaVu.txt).
const FONT_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets', 'fonts', 'DejaVuSans.ttf');
const FONT_FAMILY = 'DejaVu Sans';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;
const TEMPORAL = /^(DATE|TIMESTAMP.*|TIME.*)$/i;

/** A DuckDB column type a chart axis can measure. */
export function isNumericType(type: string): boolean {
  return NUMERIC.test(type.trim());
}

/**
 * Renders a line or bar chart of `data` as a PNG: `spec.x` on the horizontal axis (time,
 * number or category, from its column type), `spec.y` (a number) on the vertical. At most
 * MAX_CHART_ROWS rows, in the order the query returned them; the image is always
 * 1280 × 640 pixels. Throws an InputError when a named column is not in the data.
 */
export async function renderChartPng(spec: ChartSpec, data: ChartData): Promise<Uint8Array> {
  const xi = columnIndex(data, spec.x, 'x');
  const yi = columnIndex(data, spec.y, 'y');
  const xType = data.columns[xi]!.type;
  const values = data.rows.slice(0, MAX_CHART_ROWS).map((r) => ({ x: r[xi] ?? null, y: asNumber(r[yi]) }));
  const svg = await toSvg(vegaLiteSpec(spec, xType, values));
  const image = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: ZOOM },
    font: existsSync(FONT_FILE)
      ? { fontFiles: [FONT_FILE], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY }
      : { loadSystemFonts: true, defaultFontFamily: FONT_FAMILY },
  }).render();
  return new Uint8Array(image.asPng());
}

function columnIndex(data: ChartData, name: string, axis: 'x' | 'y'): number {
  const i = data.columns.findIndex((c) => c.name === name);
  if (i < 0) {
    throw new InputError(`chart.${axis}: the result has no column ${JSON.stringify(name)}; it has ${data.columns.map((c) => c.name).join(', ') || 'none'}`, {
      field: `chart.${axis}`,
    });
  }
  return i;
}

function asNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function vegaLiteSpec(spec: ChartSpec, xType: string, values: { x: unknown; y: number | null }[]): TopLevelSpec {
  const temporal = TEMPORAL.test(xType.trim());
  // Numbers along a line read as a measure; along bars, as categories (one bar each).
  const measure = isNumericType(xType) && spec.type === 'line';
  const xEncoding = temporal
    ? { field: 'x', type: 'temporal' as const, title: spec.x, scale: { type: 'utc' as const } }
    : measure
      ? { field: 'x', type: 'quantitative' as const, title: spec.x }
      : { field: 'x', type: 'ordinal' as const, title: spec.x, sort: null };
  const title = spec.title?.trim().slice(0, MAX_TITLE_CHARS);
  return {
    ...(title ? { title } : {}),
    width: WIDTH,
    height: HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    data: { values },
    mark: spec.type === 'line' ? { type: 'line', point: values.length <= 60 } : { type: 'bar' },
    encoding: { x: xEncoding, y: { field: 'y', type: 'quantitative', title: spec.y } },
    config: { font: FONT_FAMILY, axis: { labelLimit: 160 }, view: { stroke: null } },
  };
}

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
