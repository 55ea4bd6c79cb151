// The plugin's slice of config/instance.yaml. The host validates it at boot together with every
// other plugin's and reports all problems at once, so each message names what to write instead.
import { IDENTIFIER_PATTERN, zDuration, zSecretEnv } from '@aida/core';
import { z } from 'zod';

/** An absolute http(s) URL without credentials, query or fragment: the client appends paths to it. */
const baseUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL such as https://api.example.com, without credentials, ?query or #fragment')
  .transform((v) => v.replace(/\/+$/, ''));

export const templateConfigSchema = z.strictObject({
  /** Source name: the folder under extracts/ and the source shown in the catalog. */
  source: z.string().regex(IDENTIFIER_PATTERN, 'must be a valid identifier (letters, digits, _; not starting with a digit)').default('template'),
  /** Where the source's REST API lives. */
  base_url: baseUrl,
  /**
   * The admin writes the NAME of an environment variable (`token_env: TEMPLATE_TOKEN`); the
   * validated value is the token itself. Declaring it with zSecretEnv is what makes the host mask
   * it in every log line, error answer and recorded sync error.
   */
  token_env: zSecretEnv({ example: 'TEMPLATE_TOKEN', holds: 'the API token of the source' }),
  /** One HTTP request, headers and body; a slower answer is retried like a 5xx. */
  timeout: zDuration({ min: '100ms', max: '5m' }).prefault('30s'),
  retries: z
    .strictObject({
      /** Retries after the first attempt, for 429, 5xx, timeouts and network errors. */
      max: z.number().int().min(0).max(10).default(4),
      /** First pause between attempts; it doubles each time (with jitter). */
      base_delay: zDuration({ max: '1m' }).prefault('500ms'),
      /** A Retry-After longer than this fails the request instead of stalling the sync. */
      max_retry_after: zDuration({ max: '1h' }).prefault('2m'),
    })
    .prefault({}),
  /**
   * Incremental tables ask for rows updated since the previous sync minus this much, so a row
   * changed while that sync ran, or a clock a little ahead of ours, is not missed. Rows fetched
   * twice merge into the same bytes.
   */
  incremental_overlap: zDuration({ max: '7d' }).prefault('5m'),
});

export type TemplateConfig = z.output<typeof templateConfigSchema>;
