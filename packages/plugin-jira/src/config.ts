/**
 * The Jira connector's configuration, validated at boot with every other problem of the
 * instance config. In `config/instance.yaml` (only `url`, the two credentials and `jql` are
 * required):
 *
 *   url: https://acme.atlassian.net
 *   email_env: 'JIRA_EMAIL'
 *   token_env: 'JIRA_API_TOKEN'
 *   webhook_secret_env: 'JIRA_WEBHOOK_SECRET'
 *   jql: 'project in (SUP, ENG)'
 *   refresh_fields: { sla_first_response: customfield_10031 }
 *
 * The `*_env` fields name environment variables, never hold the secrets; once parsed they hold
 * the values, which the host masks in every log line and error.
 */
import { IDENTIFIER_PATTERN, InputError, zByteSize, zDuration, zSecretEnv } from '@aida/core';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { JiraClientOptions } from './client/client.js';
import { isSecureOrLoopback } from './client/site.js';
import { refreshFieldColumns } from './transform/tables.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_NAME_MESSAGE = 'must be the name of an environment variable (letters, digits and _, not starting with a digit)';
/** Jira field ids: `customfield_10031`, `duedate`, `timetracking`. */
const FIELD_ID = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

const identifier = z.string().regex(IDENTIFIER_PATTERN, 'must be a valid identifier (letters, digits, _; not starting with a digit; at most 64)');
const count = (min: number, max: number, dflt: number) => z.number().int().min(min).max(max).default(dflt);
/** A schedule as the host's `JobOptions.schedule` takes it: a human interval (`45 minutes`) or a cron expression. */
const schedule = (dflt: string) => z.string().trim().min(1, 'must be an interval such as 45 minutes or a cron expression').default(dflt);

/** The site root, as its origin: https, or plain http on a loopback host (a local fake in tests). */
const siteUrl = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `must be the URL of the Jira Cloud site, such as https://acme.atlassian.net; got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  const problem =
    url.protocol !== 'https:' && url.protocol !== 'http:'
      ? 'must be an https URL'
      : !isSecureOrLoopback(url)
        ? 'must use https (plain http only for a loopback host such as 127.0.0.1)'
        : url.username || url.password || url.search || url.hash
          ? 'must not carry credentials, a ?query or a #fragment'
          : url.pathname.replace(/\/+$/, '') !== ''
            ? `must be the site root (${url.origin}), without a path`
            : undefined;
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `${problem}; got ${value}` });
    return z.NEVER;
  }
  return url.origin;
});

/**
 * Like zSecretEnv, but an unset or empty variable is not a boot error: the value is then
 * undefined, and the webhook answers 503 until the variable is set (fail closed, never unsigned).
 */
const optionalSecretEnv = z
  .string({ error: ENV_NAME_MESSAGE })
  .regex(ENV_NAME, ENV_NAME_MESSAGE)
  .transform((name): string | undefined => {
    // zSecretEnv reads the environment of the parse in progress and registers the value for masking.
    const read = zSecretEnv().safeParse(name);
    return read.success ? read.data : undefined;
  });

/** `alias → field id`, each alias becoming one JSON column of the issues table; every collision reported. */
const refreshFields = z
  .record(z.string().min(1, 'an alias must not be empty'), z.string().regex(FIELD_ID, 'must be a Jira field id such as customfield_10031'))
  .default({})
  .superRefine((fields, ctx) => {
    // refreshFieldColumns stops at the first collision; adding the fields one at a time reports each.
    const accepted: Record<string, string> = {};
    for (const [alias, fieldId] of Object.entries(fields)) {
      try {
        refreshFieldColumns({ ...accepted, [alias]: fieldId });
        accepted[alias] = fieldId;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        ctx.addIssue({ code: 'custom', path: [alias], message: `${e.message}; give one of them another alias` });
      }
    }
  });

export const jiraConfigSchema = z.strictObject({
  /** Source name: the folder under extracts/ and the catalog's source. */
  source: identifier.default('jira'),
  /** The Jira Cloud site, e.g. https://acme.atlassian.net (stored as its origin, no trailing slash). */
  url: siteUrl,
  /** The variable holding the email of the Jira user the API token belongs to. */
  email_env: zSecretEnv({ example: 'JIRA_EMAIL', holds: 'the email of the Jira API user' }),
  /** The variable holding that user's API token (https://id.atlassian.com/manage-profile/security/api-tokens). */
  token_env: zSecretEnv({ example: 'JIRA_API_TOKEN', holds: 'a Jira Cloud API token' }),
  /** The variable holding the webhook's HMAC secret; unset or empty: the webhook answers 503. */
  webhook_secret_env: optionalSecretEnv.optional(),
  /** Which issues the connector keeps: the backfill's search and the consistency check's ground truth. */
  jql: z.string().trim().min(1, 'must be a JQL query such as project in (SUP, ENG)'),
  /** Fields refetched by the SLA poll and stored as JSON columns named by the alias. */
  refresh_fields: refreshFields,
  attachments: z
    .strictObject({
      /** Store attachment content on the server (for `local_path` and the attachment download). */
      download: z.boolean().default(true),
      /** Larger attachments are listed but their content is not stored. */
      max_bytes: zByteSize({ min: 1 }).prefault('50MB'),
    })
    .prefault({}),
  webhook: z
    .strictObject({
      /** A larger webhook body is refused with 413 before it is read whole. */
      max_body: zByteSize({ min: '1KB' }).prefault('1MB'),
    })
    .prefault({}),
  /** Issues refetched at once. */
  concurrency: count(1, 32, 4),
  /** Writes are batched: one push per `max_issues` refetched issues or `max_wait` after the first. */
  batch: z
    .strictObject({
      max_wait: zDuration({ max: '1m' }).prefault('200ms'),
      max_issues: count(1, 10_000, 200),
    })
    .prefault({}),
  retries: z
    .strictObject({
      /** Attempts per request, the first included, for 429, 5xx, timeouts and network errors. */
      max_attempts: count(1, 20, 5),
      base_delay: zDuration().prefault('500ms'),
      max_delay: zDuration().prefault('30s'),
      /** A `Retry-After` longer than this fails the request instead of waiting. */
      max_retry_after: zDuration().prefault('60s'),
    })
    .prefault({})
    .superRefine((r, ctx) => {
      if (r.max_delay < r.base_delay) ctx.addIssue({ code: 'custom', path: ['max_delay'], message: 'max_delay must not be shorter than base_delay' });
    }),
  /** One HTTP request to Jira; for an attachment, the wait for its headers and for each chunk. */
  timeout: zDuration({ min: '1s', max: '10m' }).prefault('30s'),
  /** Refetches the refresh fields and status of open issues. */
  sla_poll: z.strictObject({ schedule: schedule('45 minutes') }).prefault({}),
  /** Compares the issues Jira's search finds with the stored ones and backfills the missing. */
  consistency: z
    .strictObject({
      schedule: schedule('30 minutes'),
      /** Issues created this many days back are compared. */
      window_days: count(1, 3650, 30),
      /** More missing issues than this are reported for a manual backfill instead of fixed. */
      max_fixes: count(0, 10_000, 20),
    })
    .prefault({}),
  backfill: z
    .strictObject({
      /** Issues per search page (Jira gives at most 100 with fields). */
      page_size: count(1, 100, 100),
    })
    .prefault({}),
});

export type JiraConfig = z.output<typeof jiraConfigSchema>;

/** The HTTP client's settings from a validated config. */
export function jiraClientOptions(config: JiraConfig, logger: Logger): JiraClientOptions {
  return {
    siteUrl: config.url,
    email: config.email_env,
    apiToken: config.token_env,
    timeoutMs: config.timeout,
    retries: {
      maxAttempts: config.retries.max_attempts,
      baseDelayMs: config.retries.base_delay,
      maxDelayMs: config.retries.max_delay,
      maxRetryAfterMs: config.retries.max_retry_after,
    },
    logger,
  };
}
