// Times the way Jira Cloud writes them: REST API v3 datetimes are `2024-05-01T10:00:00.000+0000`
// (milliseconds, an offset without a colon, in the user's time zone), dates are `2024-05-01`, and
// renderedFields show `01/May/24 10:00 AM`
// (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get).
import type { TimeInput } from './fake-model.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Epoch milliseconds of a test-given time; rejects text that is not a time. */
export function toMillis(t: TimeInput): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(normalizeOffset(t));
  if (!Number.isFinite(ms)) throw new Error(`fake jira: not a time: ${String(t)}`);
  return ms;
}

// Date.parse does not read Jira's own `+0000` offsets, which tests naturally copy from payloads.
function normalizeOffset(s: string): string {
  return s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}

/** The wall clock at `offsetMinutes` east of UTC, as UTC getters of a shifted Date. */
function shifted(ms: number, offsetMinutes: number): Date {
  return new Date(ms + offsetMinutes * 60_000);
}

/** `2024-05-01T10:00:00.000+0000`. */
export function jiraDateTime(ms: number, offsetMinutes = 0): string {
  const d = shifted(ms, offsetMinutes);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:` +
    `${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

/** `01/May/24 10:00 AM`, the renderedFields form. */
export function friendlyDateTime(ms: number, offsetMinutes = 0): string {
  const d = shifted(ms, offsetMinutes);
  const h = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${pad(d.getUTCFullYear() % 100)} ${h}:${pad(d.getUTCMinutes())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
}

/** The epoch milliseconds of a wall-clock time at `offsetMinutes`, as JQL reads `2024-05-01 10:00`. */
export function wallClockToMillis(y: number, mo: number, d: number, h: number, mi: number, offsetMinutes: number): number {
  return Date.UTC(y, mo - 1, d, h, mi) - offsetMinutes * 60_000;
}
