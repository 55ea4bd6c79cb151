/**
 * What a failed job run leaves behind as its reason. Handlers are plugin code and may
 * throw anything (`throw { code: 'E_PLUGIN' }`, a string, undefined); Agenda stores an
 * Error's message but any other value as it is, and its retry and logging code reads
 * `error.message`, which throws for undefined and null. So the scheduler hands Agenda an
 * Error for every failure, and the DuckDB repository stores any reason as text.
 */
import { inspect, types } from 'node:util';

/** Long enough for a stack-less message with context, short enough for a status page. */
const MAX_REASON_CHARS = 2_000;

/** A readable text for a thrown value: an Error's message, a string as is, anything else as JSON or inspected. */
export function failReasonText(value: unknown): string {
  return clip(describe(value));
}

/** `value` itself if it is an Error, otherwise an Error whose message describes it (the value kept as `cause`). */
export function asError(value: unknown): Error {
  if (isError(value)) return value;
  return new Error(failReasonText(value), { cause: value });
}

function describe(value: unknown): string {
  if (isError(value)) return value.message || value.name || 'Error';
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return `job failed without a reason (threw ${String(value)})`;
  if (typeof value !== 'object') return String(value); // number, boolean, bigint, symbol, function
  try {
    const json = JSON.stringify(value);
    if (json !== undefined && json !== '{}') return json;
  } catch {
    // circular or holding a BigInt: inspect below copes with both
  }
  return inspect(value, { depth: 3, breakLength: Infinity });
}

function isError(value: unknown): value is Error {
  // isNativeError also recognises Errors from another realm (vm contexts, workers' structured clones).
  return value instanceof Error || types.isNativeError(value);
}

function clip(text: string): string {
  return text.length <= MAX_REASON_CHARS ? text : `${text.slice(0, MAX_REASON_CHARS - 1)}…`;
}
