import { parseMeasure, zMeasure, type Measure, type MeasureBounds } from './measure.js';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNITS;
const LARGEST_FIRST: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];
const FORMS = '500ms, 30s, 5m, 1h or 1d';

function readDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2] as Unit] : undefined;
}

/** Milliseconds as the shortest exact duration: `300000` → `5m`, `1500` → `1500ms`. */
export function formatDuration(ms: number): string {
  const unit = LARGEST_FIRST.find((u) => ms !== 0 && Number.isInteger(ms / UNITS[u])) ?? 'ms';
  return `${ms / UNITS[unit]}${unit}`;
}

const DURATION: Measure = {
  kind: 'duration',
  examples: FORMS,
  accepted: `a duration such as ${FORMS} (a plain number is milliseconds)`,
  read: readDuration,
  validNumber: (ms) => Number.isFinite(ms) && ms >= 0,
  format: formatDuration,
};

/** Parses a duration like `30s`, `5m`, `2h`, `1d`, `500ms`; a number is taken as milliseconds. */
export function parseDuration(value: string | number): number {
  return parseMeasure(DURATION, value);
}

/**
 * A config duration: `500ms`, `30s`, `5m`, `1h`, `1d` (decimals allowed: `1.5h`) or a number of
 * milliseconds, parsed to milliseconds. `min`/`max` are inclusive, as milliseconds or durations:
 * `zDuration({ min: '1s', max: '1d' }).prefault('1h')` (prefault states the default as an admin writes it).
 */
export function zDuration(bounds: MeasureBounds = {}) {
  return zMeasure(DURATION, bounds);
}
