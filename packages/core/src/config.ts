import { z } from 'zod';
import { InputError } from './errors.js';

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface EnvProblem {
  path: string;
  variable: string;
}

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed config tree.
 * Unset variables without a default are collected, not thrown one by one, so boot can
 * report every problem at once.
 */
export function interpolateEnv<T>(value: T, env: NodeJS.ProcessEnv = process.env): { value: T; missing: EnvProblem[] } {
  const missing: EnvProblem[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      return v.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
        const got = env[name];
        if (got !== undefined && got !== '') return got;
        if (fallback !== undefined) return fallback;
        missing.push({ path, variable: name });
        return '';
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, path ? `${path}.${k}` : k)]));
    }
    return v;
  };
  return { value: walk(value, '') as T, missing };
}

/** Key names whose values are never printed. */
const SECRET_KEY = /(secret|password|passwd|token|api[_-]?key|credential|private[_-]?key)/i;
export const REDACTED = '[redacted]';

/** Returns a copy fit for logs and error messages: values under secret-looking keys are masked. */
export function redactSecrets<T>(value: T, extraKeys: readonly string[] = []): T {
  const walk = (v: unknown, key: string): unknown => {
    if ((SECRET_KEY.test(key) && !/_env$/i.test(key)) || extraKeys.includes(key)) {
      return v === null || v === undefined || v === '' ? v : REDACTED;
    }
    if (Array.isArray(v)) return v.map((item) => walk(item, key));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, k)]));
    return v;
  };
  return walk(value, '') as T;
}

/** Masks occurrences of known secret values inside free text (error messages from clients). */
export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join(REDACTED);
  return out;
}

export interface ConfigIssue {
  /** Dotted path to the field, prefixed by where it lives, e.g. `plugins[1] (@aida/plugin-keboola).config.url`. */
  path: string;
  message: string;
}

/** Validates a config slice with its zod schema, returning problems instead of throwing. */
export function validateConfig<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
): { ok: true; value: z.output<S> } | { ok: false; issues: ConfigIssue[] } {
  const result = schema.safeParse(value ?? {});
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => ({
      path: [prefix, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].join('.').replace(/\.\[/g, '['),
      message: i.message,
    })),
  };
}

/** Parses a duration like `30s`, `5m`, `2h`, `1d` or a number of milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) throw new InputError(`Invalid duration ${JSON.stringify(value)}: use e.g. 500ms, 30s, 5m, 2h, 1d`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
