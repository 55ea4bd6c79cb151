// The config slice: defaults stated once, the credentials' three kinds (exactly one), and every
// problem reported together with a path a person can act on.
import { generateKeyPairSync } from 'node:crypto';
import { SecretRedactor, validateConfig } from '@aida/core';
import { describe, expect, it } from 'vitest';
import { bigQueryConfigSchema, defaultTableName } from '../src/config.js';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 1024,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const KEY = {
  type: 'service_account',
  client_email: 'sa@acme-analytics.iam.gserviceaccount.com',
  private_key: privateKey,
  private_key_id: 'k1',
  token_uri: 'https://oauth2.googleapis.com/token',
};
const env = {
  GCP_SA_JSON: JSON.stringify(KEY),
  GCP_TOKEN: 'ya29.a-token-issued-elsewhere',
  NOT_JSON: 'hello',
  NO_EMAIL: JSON.stringify({ private_key: privateKey }),
};
const base = { project: 'acme-analytics', credentials: { service_account_env: 'GCP_SA_JSON' }, tables: [{ id: 'sales.orders' }] };

function parse(value: unknown) {
  const r = validateConfig(bigQueryConfigSchema, value, '', { env, secrets: new SecretRedactor() });
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.value;
}
function issues(value: unknown): string {
  const r = validateConfig(bigQueryConfigSchema, value, '', { env, secrets: new SecretRedactor() });
  return r.ok ? '' : r.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}

describe('bigquery config', () => {
  it('fills the defaults: source bigquery, materialized full_refresh, the cost caps, retries, paging', () => {
    const c = parse(base);
    expect(c.source).toBe('bigquery');
    expect(c.billing_project).toBeUndefined();
    expect(c.tables[0]).toEqual({ id: 'sales.orders', mode: 'materialized', strategy: 'full_refresh' });
    expect(c.limits).toEqual({ max_scan_bytes: 5 * 1024 ** 3, max_materialize_bytes: 10 * 1024 ** 3, user_daily_bytes: 50e9, user_concurrent: 5 });
    expect(c.retries).toEqual({ max: 5, base_delay: 500, max_delay: 30_000, max_retry_after: 300_000 });
    expect(c.timeouts).toEqual({ request: 120_000, job: 3_600_000 });
    expect([c.page_size, c.pages_in_flight]).toEqual([20_000, 4]);
    expect(c.credentials).toEqual({ kind: 'service_account', key: KEY });
  });

  it('takes the issue’s example as written', () => {
    const c = parse({
      source: 'bigquery',
      project: 'acme-analytics',
      billing_project: 'acme-billing',
      location: 'EU',
      credentials: { service_account_env: 'GCP_SA_JSON' },
      tables: [
        { id: 'sales.orders', name: 'orders', mode: 'materialized', strategy: 'incremental', incremental_column: 'updated_at' },
        { id: 'sales.customers', mode: 'materialized' },
        { id: 'web.events', name: 'events', mode: 'remote' },
      ],
      datasets: [{ id: 'marketing', mode: 'materialized', exclude: ['marketing.tmp_*'] }],
      limits: { max_scan_bytes: '5GiB', max_materialize_bytes: '10GiB', user_daily_bytes: '50GB', user_concurrent: 5 },
    });
    expect(c.tables.map((t) => [t.id, t.mode, t.strategy])).toEqual([
      ['sales.orders', 'materialized', 'incremental'],
      ['sales.customers', 'materialized', 'full_refresh'],
      ['web.events', 'remote', 'full_refresh'],
    ]);
    expect(c.datasets[0]).toEqual({ id: 'marketing', mode: 'materialized', exclude: ['marketing.tmp_*'] });
  });

  it('reads the three kinds of credentials, and overlaps as durations or counts', () => {
    expect(parse({ ...base, credentials: { access_token_env: 'GCP_TOKEN' } }).credentials).toEqual({
      kind: 'access_token',
      token: 'ya29.a-token-issued-elsewhere',
    });
    expect(parse({ ...base, credentials: { adc: true } }).credentials).toEqual({ kind: 'adc' });
    const c = parse({
      ...base,
      tables: [
        { id: 'a.b', strategy: 'incremental', incremental_column: 'updated_at', primary_key: ['id'], overlap: '2h' },
        { id: 'acme-analytics.a.c', strategy: 'incremental', incremental_column: 'id', primary_key: ['id'], overlap: 100 },
      ],
    });
    expect(c.tables.map((t) => t.overlap)).toEqual([
      { kind: 'duration', ms: 7_200_000 },
      { kind: 'count', count: 100 },
    ]);
  });

  it('declares the key and the token secret, so the host masks them', () => {
    const secrets = new SecretRedactor();
    validateConfig(bigQueryConfigSchema, base, '', { env, secrets });
    const line = secrets.redact(`key ${privateKey} in ${env.GCP_SA_JSON}`);
    expect(line).not.toContain(privateKey.split('\n')[3]);
  });

  it('reports every problem with a path a person can act on', () => {
    const all = issues({
      project: 'Acme Analytics',
      credentials: { service_account_env: 'NOT_JSON', adc: true },
      tables: [
        { id: 'orders' },
        { id: 'sales.orders', name: 'bad-name' },
        { id: 'sales.x', strategy: 'incremental' },
        { id: 'sales.y', mode: 'remote', partition_by: { column: 'day' } },
        { id: 'sales.z', overlap: '1h' },
        { id: 'sales.w', surprise: true },
      ],
      datasets: [{ id: 'bad dataset' }],
      limits: { max_scan_bytes: 'lots' },
      api_endpoint: 'ftp://example.com',
    });
    expect(all).toMatch(/project: must be a Google Cloud project id/);
    expect(all).toMatch(/credentials\.service_account_env: the variable does not hold JSON/);
    expect(all).toMatch(/tables\[0\]\.id: must be a BigQuery table id such as sales\.orders/);
    expect(all).toMatch(/tables\[1\]\.name: must be a valid identifier/);
    expect(all).toMatch(/tables\[2\]\.incremental_column: the incremental strategy needs incremental_column/);
    expect(all).toMatch(/tables\[3\]\.partition_by: partition_by is only used by materialized tables/);
    expect(all).toMatch(/tables\[4\]\.overlap: overlap is only used with strategy: incremental/);
    expect(all).toMatch(/tables\[5\]: Unrecognized key: "surprise"/);
    expect(all).toMatch(/datasets\[0\]\.id: must be a BigQuery dataset id/);
    expect(all).toMatch(/limits\.max_scan_bytes: must be a size/);
    expect(all).toMatch(/api_endpoint: api_endpoint must be an absolute http\(s\) URL/);
  });

  it('refuses two credentials, none, a key without client_email, and an unset variable', () => {
    expect(issues({ ...base, credentials: { access_token_env: 'GCP_TOKEN', adc: true } })).toMatch(
      /credentials: give exactly one of service_account_env, access_token_env or adc: true \(2 are set\)/,
    );
    expect(issues({ ...base, credentials: {} })).toMatch(/\(none is set\)/);
    expect(issues({ ...base, credentials: { service_account_env: 'NO_EMAIL' } })).toMatch(
      /credentials\.service_account_env\.client_email: the key has no valid client_email/,
    );
    expect(issues({ ...base, credentials: { access_token_env: 'UNSET_AIDA_TEST_VAR' } })).toMatch(/environment variable UNSET_AIDA_TEST_VAR is not set/);
  });

  it('refuses two tables with one name, and a config without tables or datasets', () => {
    expect(issues({ ...base, tables: [{ id: 'a.orders' }, { id: 'b.Orders' }] })).toMatch(
      /tables\[1\]\.name: table name orders is already used by tables\[0\]/,
    );
    expect(issues({ ...base, tables: [] })).toMatch(/tables: list the BigQuery tables/);
  });

  it('names a table after its table part, lower-cased, made an identifier', () => {
    expect(defaultTableName('sales.Orders')).toBe('orders');
    expect(defaultTableName('acme-analytics.web.page-views')).toBe('page_views');
    expect(defaultTableName('web.2024_events')).toBe('_2024_events');
  });
});
