// Jira's times as DuckDB reads them. REST v3 writes `2024-05-01T10:00:00.000+0000` (an offset
// without a colon, which neither Date.parse nor every TIMESTAMPTZ cast accepts); rows carry
// the same instant in UTC, `2024-05-01T10:00:00.000Z`, so the month of a row is its UTC month.

const JIRA_OFFSET = /([+-]\d{2})(\d{2})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A Jira datetime as an ISO-8601 UTC string, or null when absent or unreadable. */
export function jiraTimestamp(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  const ms = Date.parse(value.replace(JIRA_OFFSET, '$1:$2'));
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** A Jira date (`duedate`: `2024-05-31`) as the same text when it is a real calendar day, else null. */
export function jiraDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = ISO_DATE.exec(value);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value ? value : null;
}

/**
 * The partition month (`YYYY-MM`, UTC) of an issue's created_at as the rows carry it. An issue
 * without a readable created date falls in the current month, as upstream does.
 */
export function monthOf(createdAt: string | null, now: Date = new Date()): string {
  const ms = createdAt === null ? NaN : Date.parse(createdAt.replace(JIRA_OFFSET, '$1:$2'));
  return (Number.isFinite(ms) ? new Date(ms) : now).toISOString().slice(0, 7);
}
