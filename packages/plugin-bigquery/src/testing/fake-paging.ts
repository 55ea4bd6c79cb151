// Paging as the REST API does it: opaque page tokens (here: which listing and where the next
// page starts, base64url), `maxResults` per page, and for row pages a size budget besides,
// since BigQuery cuts a page of rows at about 10 MB whatever `maxResults` says.
import { BigQueryError } from './fake-errors.js';

/** Listing pages (datasets.list, tables.list) hold this many items when `maxResults` is absent. */
export const DEFAULT_LIST_PAGE = 50;
/** A page of rows stops growing past this much JSON (BigQuery's 10 MB response limit). */
export const ROW_PAGE_BYTES = 10 * 1024 * 1024;

export function pageToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ s: scope, o: offset })).toString('base64url');
}

/** The offset a token points at; a token of another listing, or garbage, is a 400 like BigQuery's. */
export function tokenOffset(scope: string, token: string): number {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; o?: unknown };
    if (t.s === scope && typeof t.o === 'number' && Number.isInteger(t.o) && t.o >= 0) return t.o;
  } catch {
    // falls through to the refusal
  }
  throw BigQueryError.invalid(`Invalid page token: ${token}`);
}

/** A non-negative integer query parameter, or undefined when absent. */
export function intParam(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw BigQueryError.invalid(`Invalid value for ${name}: ${String(value)}`);
  return n;
}

/** Where a page starts: the token's offset, else `startIndex`, else 0. */
export function pageStart(scope: string, query: Record<string, unknown>): number {
  const token = query.pageToken;
  if (typeof token === 'string' && token) return tokenOffset(scope, token);
  return intParam(query.startIndex, 'startIndex') ?? 0;
}

/** One page of a listing. */
export function listPage<T>(scope: string, items: readonly T[], query: Record<string, unknown>): { items: T[]; nextPageToken?: string } {
  const start = pageStart(scope, query);
  const size = intParam(query.maxResults, 'maxResults') || DEFAULT_LIST_PAGE;
  const end = Math.min(items.length, start + size);
  return { items: items.slice(start, end), ...(end < items.length ? { nextPageToken: pageToken(scope, end) } : {}) };
}
