// The config schema catches at boot what would otherwise fail later: a site that is not https,
// credentials that are not set, refresh fields that would share a column. An unset webhook
// secret is not one of them: the webhook then answers 503 until it is set.
import { validateConfig } from '@aida/core';
import { describe, expect, it } from 'vitest';
import { jiraClientOptions, jiraConfigSchema } from '../src/config.js';
import { captureLogger } from './client/helpers.js';

const env = { JIRA_EMAIL: 'integration@example.com', JIRA_API_TOKEN: 'ATATT3x-test-token', JIRA_WEBHOOK_SECRET: 'hook-secret' };
const base = { url: 'https://acme.atlassian.net/', email_env: 'JIRA_EMAIL', token_env: 'JIRA_API_TOKEN', jql: 'project in (SUP, ENG)' };

function parse(value: Record<string, unknown>, environment: Record<string, string | undefined> = env) {
  return validateConfig(jiraConfigSchema, value, 'config', { env: environment });
}
function problems(value: Record<string, unknown>, environment?: Record<string, string | undefined>): string[] {
  const r = parse(value, environment);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('jira config', () => {
  it('fills the defaults and resolves the credentials from the environment', () => {
    const r = parse({ ...base, webhook_secret_env: 'JIRA_WEBHOOK_SECRET' });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.value).toEqual({
      source: 'jira',
      url: 'https://acme.atlassian.net',
      email_env: 'integration@example.com',
      token_env: 'ATATT3x-test-token',
      webhook_secret_env: 'hook-secret',
      jql: 'project in (SUP, ENG)',
      refresh_fields: {},
      attachments: { download: true, max_bytes: 50_000_000 },
      webhook: { max_body: 1_000_000 },
      concurrency: 4,
      batch: { max_wait: 200, max_issues: 200 },
      retries: { max_attempts: 5, base_delay: 500, max_delay: 30_000, max_retry_after: 60_000 },
      timeout: 30_000,
      sla_poll: { schedule: '45 minutes' },
      consistency: { schedule: '30 minutes', window_days: 30, max_fixes: 20 },
      backfill: { page_size: 100 },
    });
  });

  it('parses sizes, durations and refresh fields as an admin writes them', () => {
    const r = parse({
      ...base,
      refresh_fields: { sla_first_response: 'customfield_10031', status: 'customfield_10032' },
      attachments: { download: false, max_bytes: '5MiB' },
      retries: { max_attempts: 2, max_retry_after: '5m' },
      timeout: '10s',
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.value.refresh_fields).toEqual({ sla_first_response: 'customfield_10031', status: 'customfield_10032' });
    expect(r.value.attachments).toEqual({ download: false, max_bytes: 5 * 2 ** 20 });
    expect(r.value.retries).toEqual({ max_attempts: 2, base_delay: 500, max_delay: 30_000, max_retry_after: 300_000 });
    expect(r.value.timeout).toBe(10_000);
  });

  it('refuses a URL that is not one, has a path or query, or is plain http on a non-loopback host', () => {
    expect(problems({ ...base, url: 'acme.atlassian.net' })).toEqual([
      'config.url: must be the URL of the Jira Cloud site, such as https://acme.atlassian.net; got "acme.atlassian.net"',
    ]);
    expect(problems({ ...base, url: 'http://acme.atlassian.net' })).toEqual([
      'config.url: must use https (plain http only for a loopback host such as 127.0.0.1); got http://acme.atlassian.net',
    ]);
    expect(problems({ ...base, url: 'https://acme.atlassian.net/jira/software' })).toEqual([
      'config.url: must be the site root (https://acme.atlassian.net), without a path; got https://acme.atlassian.net/jira/software',
    ]);
    expect(problems({ ...base, url: 'https://me:pw@acme.atlassian.net' })[0]).toMatch(/must not carry credentials/);
    expect(problems({ ...base, url: 'ftp://acme.atlassian.net' })[0]).toMatch(/must be an https URL/);
  });

  it('accepts plain http on a loopback host, as a local fake of Jira runs', () => {
    for (const url of ['http://127.0.0.1:8080/', 'http://localhost:3000', 'http://[::1]:9000']) {
      const r = parse({ ...base, url });
      expect(r.ok, url).toBe(true);
      if (r.ok) expect(r.value.url).toBe(url.replace(/\/$/, ''));
    }
  });

  it('reports refresh fields that collide on one column together with every other problem', () => {
    const all = problems(
      {
        ...base,
        jql: '  ',
        token_env: 'AIDA_TEST_UNSET_JIRA_TOKEN',
        refresh_fields: { cf_status: 'customfield_1', status: 'customfield_2', sla: 'customfield_3', 'Team!': 'team', team: 'customfield_4', bad: 'no spaces' },
        concurrency: 0,
      },
      env,
    );
    expect(all).toEqual(
      expect.arrayContaining([
        'config.token_env: environment variable AIDA_TEST_UNSET_JIRA_TOKEN is not set (it must hold a Jira Cloud API token)',
        'config.jql: must be a JQL query such as project in (SUP, ENG)',
        'config.refresh_fields.bad: must be a Jira field id such as customfield_10031',
        'config.concurrency: Too small: expected number to be >=1',
      ]),
    );
    const collisions = all.filter((p) => p.includes('both map to column'));
    expect(collisions).toHaveLength(2);
    expect(collisions[0]).toMatch(/^config\.refresh_fields\.status: .*"cf_status" and "status" both map to column cf_status/);
    expect(collisions[1]).toMatch(/^config\.refresh_fields\.team: .*"Team!" and "team" both map to column team/);
  });

  it('boots without a webhook secret: an unset or empty variable leaves it undefined, a malformed name is refused', () => {
    for (const environment of [
      { ...env, JIRA_WEBHOOK_SECRET: undefined },
      { ...env, JIRA_WEBHOOK_SECRET: '' },
    ]) {
      const r = parse({ ...base, webhook_secret_env: 'JIRA_WEBHOOK_SECRET' }, environment);
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.value.webhook_secret_env).toBeUndefined();
    }
    expect(problems({ ...base, webhook_secret_env: 'not-a-name' })).toEqual([
      'config.webhook_secret_env: must be the name of an environment variable (letters, digits and _, not starting with a digit)',
    ]);
  });

  it('masks every credential it read, the optional webhook secret included', () => {
    const secrets: string[] = [];
    const r = validateConfig(jiraConfigSchema, { ...base, webhook_secret_env: 'JIRA_WEBHOOK_SECRET' }, '', { env, secrets: { add: (v) => secrets.push(v) } });
    expect(r.ok).toBe(true);
    expect(secrets.sort()).toEqual([env.JIRA_API_TOKEN, env.JIRA_EMAIL, env.JIRA_WEBHOOK_SECRET].sort());
  });

  it('refuses unknown keys and a max_delay shorter than base_delay', () => {
    expect(problems({ ...base, retries: { base_delay: '10s', max_delay: '1s' }, tables: [] }).sort()).toEqual([
      'config.retries.max_delay: max_delay must not be shorter than base_delay',
      'config: Unrecognized key: "tables"',
    ]);
  });

  it('gives the client its settings', () => {
    const r = parse(base);
    if (!r.ok) throw new Error('invalid');
    const { logger } = captureLogger();
    expect(jiraClientOptions(r.value, logger)).toEqual({
      siteUrl: 'https://acme.atlassian.net',
      email: env.JIRA_EMAIL,
      apiToken: env.JIRA_API_TOKEN,
      timeoutMs: 30_000,
      retries: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 },
      logger,
    });
  });
});
