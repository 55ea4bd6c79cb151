// The default columns of a generated table (`fake.addGeneratedTable`): ten typed columns whose
// value at row `i` (0-based) is a pure function of `i`, so a benchmark needs no fixture in
// memory and a test can compute any expected aggregate from the same functions.
import type { GeneratedColumn } from './fake-model.js';

const DAY_MS = 86_400_000;
const EPOCH_2024 = Date.UTC(2024, 0, 1);

/** The 365 dates `event_date` cycles through, made once. */
const DATES = Array.from({ length: 365 }, (_, d) => new Date(EPOCH_2024 + d * DAY_MS).toISOString().slice(0, 10));

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * `id` i+1 (REQUIRED) · `amount` NUMERIC "(i % 1000).(i % 100, two digits)" · `score` FLOAT64 (i % 1000) / 8 ·
 * `active` BOOL i even · `name` STRING "name-i" · `category` STRING NULL when i % 10 == 0, else "cat-(i % 7)" ·
 * `payload` BYTES i as 4 bytes little-endian · `event_date` DATE 2024-01-01 + (i % 365) days ·
 * `updated_at` TIMESTAMP 2024-01-01T00:00:00Z + i seconds (rising, for incremental reads) ·
 * `event_time` TIME (i % 86400) seconds after midnight.
 */
export const GENERATED_COLUMNS: readonly GeneratedColumn[] = [
  { name: 'id', type: 'INT64', mode: 'REQUIRED', value: (i) => i + 1 },
  { name: 'amount', type: 'NUMERIC', value: (i) => `${i % 1000}.${two(i % 100)}` },
  { name: 'score', type: 'FLOAT64', value: (i) => (i % 1000) / 8 },
  { name: 'active', type: 'BOOL', value: (i) => i % 2 === 0 },
  { name: 'name', type: 'STRING', value: (i) => `name-${i}` },
  { name: 'category', type: 'STRING', value: (i) => (i % 10 === 0 ? null : `cat-${i % 7}`) },
  { name: 'payload', type: 'BYTES', value: (i) => Buffer.from([i & 255, (i >> 8) & 255, (i >> 16) & 255, (i >>> 24) & 255]) },
  { name: 'event_date', type: 'DATE', value: (i) => DATES[i % 365] },
  { name: 'updated_at', type: 'TIMESTAMP', value: (i) => new Date(EPOCH_2024 + i * 1000) },
  {
    name: 'event_time',
    type: 'TIME',
    value: (i) => {
      const s = i % 86_400;
      return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
    },
  },
];
