import { z } from 'zod';
import { configScope } from './scope.js';

export const REDACTED = '[redacted]';

/** Environment variable names: what `${NAME}` references and `zSecretEnv` fields accept. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Shorter values are not masked: replacing every `abc` in every log line would garble it and hide nothing. */
const MIN_SECRET_LENGTH = 4;

/** Masks occurrences of known secret values inside free text (error messages from clients). */
export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= MIN_SECRET_LENGTH && out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/**
 * The secret values one host knows: every field its config declares secret, added while the
 * config is validated. The host masks them in every log line and every error it answers or
 * throws, whatever key or message they turn up under.
 */
export class SecretRedactor {
  /** Each secret as written and as it appears inside a JSON string (a log line), longest first. */
  private forms: string[] = [];

  add(value: string | undefined): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    const escaped = JSON.stringify(value).slice(1, -1);
    for (const form of [value, escaped]) if (!this.forms.includes(form)) this.forms.push(form);
    // Longest first, so a secret that contains another is masked whole.
    this.forms.sort((a, b) => b.length - a.length);
  }

  /** How many secrets are known (0: redaction is a no-op). */
  get size(): number {
    return this.forms.length;
  }

  redact(text: string): string {
    return this.forms.length ? redactText(text, this.forms) : text;
  }

  /** A copy of JSON-like data (an error body) with every string redacted. */
  redactDeep<T>(value: T): T {
    if (!this.forms.length) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.redact(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
        return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item)]));
      }
      return v;
    };
    return walk(value) as T;
  }

  /** Masks the message and stack of an error in place (its class and code stay) and returns it. */
  redactError<E>(e: E): E {
    if (e instanceof Error && this.forms.length) {
      e.message = this.redact(e.message);
      if (e.stack) e.stack = this.redact(e.stack);
    }
    return e;
  }
}

export interface SecretEnvOptions {
  /** What the variable holds, for the message when it is unset: `'the Keboola Storage API token'`. */
  holds?: string;
  /** A variable name to show when the given one is malformed: `'KBC_TOKEN'`. */
  example?: string;
}

/**
 * A field naming the environment variable that holds a secret (`token_env: KBC_TOKEN`). At boot
 * it must be a valid name of a variable that is set (an unset one is reported with every other
 * config problem); the parsed field holds the variable's value, which the host then masks in
 * logs and errors because the field is declared secret.
 */
export function zSecretEnv(options: SecretEnvOptions = {}): z.ZodType<string, string> {
  const holds = options.holds ? ` (it must hold ${options.holds})` : '';
  const nameMessage = `must be the name of an environment variable such as ${options.example ?? 'API_TOKEN'} (letters, digits and _, not starting with a digit)`;
  return z
    .string({ error: nameMessage })
    .regex(ENV_NAME_PATTERN, nameMessage)
    .transform((name, ctx) => {
      const scope = configScope();
      const value = (scope?.env ?? process.env)[name];
      if (value === undefined || value === '') {
        ctx.addIssue({ code: 'custom', message: `environment variable ${name} is not set${holds}`, input: name });
        return z.NEVER;
      }
      scope?.secrets?.add(value);
      return value;
    });
}

/**
 * A field holding a secret itself (`client_secret: ${GOOGLE_CLIENT_SECRET}`): any non-empty
 * string, masked by the host like a `zSecretEnv` value. Prefer `zSecretEnv` in new schemas.
 */
export function zSecret(): z.ZodType<string, string> {
  return z
    .string()
    .min(1, 'must not be empty')
    .transform((value) => {
      configScope()?.secrets?.add(value);
      return value;
    });
}
