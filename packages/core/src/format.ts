/**
 * Numbers, sizes and times as people read them. The portal and `da` both use these, so a
 * table's size reads the same in the browser and in the terminal.
 */

/** `1536` → `1.5 KB`: powers of 1024, one decimal above bytes. */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

// Made on first use: building the two formatters cost 25-35 ms of every `da` start.
let grouped: Intl.NumberFormat | undefined;

/** `1234567.891` → `1,234,567.89`: thousands separators, at most two decimals, the same for every viewer. */
export function formatNumber(n: number | bigint): string {
  return (grouped ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 })).format(n);
}

const STEPS: [unit: Intl.RelativeTimeFormatUnit, seconds: number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];
let relative: Intl.RelativeTimeFormat | undefined;

/** `3 hours ago`, `in 5 minutes`, `just now` (under a minute either way). */
export function formatRelativeTime(when: Date, now: Date = new Date()): string {
  const seconds = (when.getTime() - now.getTime()) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(seconds) >= size) return (relative ??= new Intl.RelativeTimeFormat('en', { numeric: 'auto' })).format(Math.trunc(seconds / size), unit);
  }
  return 'just now';
}

/** `2026-01-31 14:05 UTC`: absolute times in UTC, whatever the server's or viewer's zone. */
export function formatDateTime(when: Date): string {
  return `${when.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
