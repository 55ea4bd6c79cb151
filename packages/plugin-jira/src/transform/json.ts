// Defensive readers for Jira's JSON. The transform must never throw on a field of an unexpected
// shape (upstream #1483: one malformed `attrs` aborted the whole walk), so every read checks
// the type it needs and yields undefined otherwise.

export type JsonObject = Record<string, unknown>;

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** An own property (never one inherited from Object.prototype, such as `toString`). */
export function own(value: unknown, key: string): unknown {
  const object = asObject(value);
  return object && Object.hasOwn(object, key) ? object[key] : undefined;
}

/** The value at `path` through nested objects (`at(issue, 'fields', 'status', 'name')`). */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = own(current, key);
  return current;
}

/** A string at `path`, or null: the form a VARCHAR column takes. */
export function textAt(value: unknown, ...path: string[]): string | null {
  return asString(at(value, ...path)) ?? null;
}

/** An id Jira may send as a string ("10001") or a number (remote links): as text, or null. */
export function idText(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
