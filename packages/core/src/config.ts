import { z } from 'zod';
import { withConfigScope, type EnvSource, type SecretSink } from './config/scope.js';

export * from './config/duration.js';
export * from './config/byte-size.js';
export * from './config/secrets.js';
export type { MeasureBounds } from './config/measure.js';
export type { EnvSource, SecretSink } from './config/scope.js';

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

export interface ConfigIssue {
  /** Dotted path to the field, prefixed by where it lives, e.g. `plugins[1] (@aida/plugin-keboola).config.url`. */
  path: string;
  message: string;
}

export interface ValidateConfigOptions {
  /** Where `zSecretEnv` fields look their variables up (default: process.env). */
  env?: EnvSource;
  /** Receives the value of every field declared secret: the host's redaction set. */
  secrets?: SecretSink;
}

/**
 * Validates a config slice with its zod schema, returning problems instead of throwing. Paths
 * are prefixed with `prefix` (none when it is empty); secret fields read `options.env` and
 * report their values to `options.secrets`.
 */
export function validateConfig<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
  options: ValidateConfigOptions = {},
): { ok: true; value: z.output<S> } | { ok: false; issues: ConfigIssue[] } {
  const result = withConfigScope({ env: options.env ?? process.env, secrets: options.secrets }, () => schema.safeParse(value ?? {}));
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => ({
      path: [prefix, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter(Boolean).join('.').replace(/\.\[/g, '[') || '(top level)',
      message: i.message,
    })),
  };
}
