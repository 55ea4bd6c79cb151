// What the MCP tools answer instead of a cut-off result: a refusal that says why and what to
// do, as an `InputError` whose detail carries a stable `reason` and the `hint`.
import { InputError } from '../errors.js';
import { MCP_NARROWING_HINT } from './limits.js';

export type McpRefusalReason =
  'cursor_invalid' | 'cursor_expired' | 'listing_changed' | 'row_too_large' | 'columns_too_wide' | 'result_too_large' | 'not_a_select';

export function refusal(reason: McpRefusalReason, message: string, hint: string, detail: Record<string, unknown> = {}): InputError {
  return new InputError(`${message}: ${hint}`, { detail: { reason, hint, ...detail } });
}

/** The reason of a refusal made here (undefined for any other error). */
export function refusalReason(e: unknown): McpRefusalReason | undefined {
  if (!(e instanceof InputError)) return undefined;
  const detail = e.detail as { reason?: unknown } | null;
  return typeof detail?.reason === 'string' ? (detail.reason as McpRefusalReason) : undefined;
}

const n = (x: number) => x.toLocaleString('en-US');

export function rowTooLarge(row: number, chars: number, budget: number): InputError {
  return refusal(
    'row_too_large',
    `Row ${n(row + 1)} alone is ${n(chars)} characters of JSON, more than one answer may hold (${n(budget)})`,
    'select fewer columns, or shorten long values (left(col, 200), or leave big JSON/text columns out)',
    { row, chars, budget },
  );
}

export function columnsTooWide(columns: number, budget: number): InputError {
  return refusal(
    'columns_too_wide',
    `The result has ${n(columns)} columns; their names and types alone exceed one answer (${n(budget)} characters)`,
    'select fewer columns',
    {
      columns,
      budget,
    },
  );
}

/** A result past the paging limits; `moreThan` when it was stopped there and is bigger still. */
export function resultTooLarge(o: { rows: number; chars?: number; moreThan: boolean }): InputError {
  const size = `${o.moreThan ? 'more than ' : ''}${n(o.rows)} rows${o.chars ? ` (${n(o.chars)} characters of JSON so far)` : ''}`;
  return refusal(
    'result_too_large',
    `The result has ${size}: too large to page through`,
    `${MCP_NARROWING_HINT}; to export rows to a file use the CLI (da query -f csv --limit 0 "…" > rows.csv)`,
    { rows: o.rows, more_than: o.moreThan },
  );
}

export function cursorExpired(): InputError {
  return refusal(
    'cursor_expired',
    'The result this cursor pages through is no longer kept (it expired, or the server restarted)',
    'run the query again without a cursor',
  );
}

export function listingChanged(tool: string): InputError {
  return refusal('listing_changed', 'The catalog changed since the first page', `call ${tool} again without a cursor`);
}
