import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { MAX_CHART_ROWS, renderChartPng } from '../../src/notifications/chart.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the PNG's IHDR chunk (right after the signature). */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(png);
  expect(b.subarray(0, 8).equals(SIGNATURE)).toBe(true);
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** The PNG's pixels, decoded by resvg itself (an SVG holding the image), as RGBA. */
function pixels(png: Uint8Array): { rgba: Buffer; width: number; height: number } {
  const { width, height } = pngSize(png);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><image href="data:image/png;base64,${Buffer.from(png).toString('base64')}" width="${width}" height="${height}"/></svg>`;
  const img = new Resvg(svg).render();
  return { rgba: Buffer.from(img.pixels), width: img.width, height: img.height };
}

function colourStats(rgba: Buffer) {
  const colours = new Set<number>();
  let dark = 0;
  let vegaBlue = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const [r, g, b] = [rgba[i]!, rgba[i + 1]!, rgba[i + 2]!];
    colours.add((r << 16) | (g << 8) | b);
    if (r < 60 && g < 60 && b < 60) dark++; // text: titles and labels are near black; marks and axes are not
    if (Math.abs(r - 0x4c) < 8 && Math.abs(g - 0x78) < 8 && Math.abs(b - 0xa8) < 8) vegaBlue++; // Vega's default mark colour
  }
  return { distinct: colours.size, dark, vegaBlue };
}

const days = {
  columns: [
    { name: 'day', type: 'DATE' },
    { name: 'orders', type: 'BIGINT' },
  ],
  rows: Array.from({ length: 30 }, (_, i) => [`2024-01-${String(i + 1).padStart(2, '0')}`, (i * 37) % 100]),
};

describe('renderChartPng', () => {
  it('draws a line chart over time as a 1280 × 640 PNG with marks and text', async () => {
    const png = await renderChartPng({ type: 'line', x: 'day', y: 'orders', title: 'Orders per day' }, days);
    expect(pngSize(png)).toEqual({ width: 1280, height: 640 });
    const { rgba, width } = pixels(png);
    expect(width).toBe(1280);
    const stats = colourStats(rgba);
    expect(stats.distinct).toBeGreaterThan(20);
    expect(stats.vegaBlue).toBeGreaterThan(1000);
    // Labels and the title drew: the shipped font was found (no system font needed).
    expect(stats.dark).toBeGreaterThan(2000);
  });

  it('draws a bar chart of categories, with DECIMALs given as text', async () => {
    const png = await renderChartPng(
      { type: 'bar', x: 'region', y: 'revenue' },
      {
        columns: [
          { name: 'region', type: 'VARCHAR' },
          { name: 'revenue', type: 'DECIMAL(12,2)' },
        ],
        rows: [
          ['north', '1200.50'],
          ['south', '800.00'],
          ['east', null],
          ['west', '40.25'],
        ],
      },
    );
    expect(pngSize(png)).toEqual({ width: 1280, height: 640 });
    const stats = colourStats(pixels(png).rgba);
    expect(stats.vegaBlue).toBeGreaterThan(10_000);
    expect(stats.dark).toBeGreaterThan(500);
  });

  it('caps the rows it draws and the image size whatever the data', async () => {
    const many = {
      columns: days.columns,
      rows: Array.from({ length: MAX_CHART_ROWS * 4 }, (_, i) => [new Date(Date.UTC(2020, 0, 1) + i * 3600_000).toISOString(), i % 50]),
    };
    many.columns = [
      { name: 'day', type: 'TIMESTAMP' },
      { name: 'orders', type: 'BIGINT' },
    ];
    const started = Date.now();
    const png = await renderChartPng({ type: 'line', x: 'day', y: 'orders', title: 'x'.repeat(500) }, many);
    expect(pngSize(png)).toEqual({ width: 1280, height: 640 });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('names the missing column', async () => {
    await expect(renderChartPng({ type: 'line', x: 'when', y: 'orders' }, days)).rejects.toThrow(
      'chart.x: the result has no column "when"; it has day, orders',
    );
  });
});
