import { parseMeasure, zMeasure, type Measure, type MeasureBounds } from './measure.js';

/** Decimal units are powers of 1000, binary (IEC) units powers of 1024; matched case-insensitively. */
const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
};
/** How sizes are shown: binary first, since limits are usually powers of two. */
const SHOWN: readonly [string, number][] = [
  ['PiB', 2 ** 50],
  ['TiB', 2 ** 40],
  ['GiB', 2 ** 30],
  ['MiB', 2 ** 20],
  ['KiB', 2 ** 10],
  ['PB', 1e15],
  ['TB', 1e12],
  ['GB', 1e9],
  ['MB', 1e6],
  ['KB', 1e3],
];
const FORMS = '512KB, 50MB or 5GiB';

function readByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  // A fraction of a byte means nothing: `1.5KiB` is 1536, `0.3KiB` rounds to 307.
  return unit === undefined ? undefined : Math.round(Number(m![1]) * unit);
}

/** Bytes as the shortest exact size: `1048576` → `1MiB`, `5000000` → `5MB`, `1500` → `1500B`. */
export function formatByteSize(bytes: number): string {
  const hit = SHOWN.find(([, n]) => bytes !== 0 && Number.isInteger(bytes / n));
  return hit ? `${bytes / hit[1]}${hit[0]}` : `${bytes}B`;
}

const BYTE_SIZE: Measure = {
  kind: 'size',
  examples: FORMS,
  accepted: `a size such as ${FORMS} (KB, MB, GB are powers of 1000, KiB, MiB, GiB of 1024; a plain number is bytes)`,
  read: readByteSize,
  validNumber: (bytes) => Number.isSafeInteger(bytes) && bytes >= 0,
  format: formatByteSize,
};

/** Parses a size like `512KB`, `50MB`, `5GiB`; a number is taken as bytes. */
export function parseByteSize(value: string | number): number {
  return parseMeasure(BYTE_SIZE, value);
}

/**
 * A config size: `512KB`, `50MB`, `5GiB` (decimal and binary units, any case, decimals allowed)
 * or a number of bytes, parsed to bytes. `min`/`max` are inclusive, as bytes or sizes.
 */
export function zByteSize(bounds: MeasureBounds = {}) {
  return zMeasure(BYTE_SIZE, bounds);
}
