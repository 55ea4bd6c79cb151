// Signing in: the service account's JWT grant (one token for many calls), a pre-issued access
// token, refusals as BIGQUERY_UNAUTHORIZED — and no key or token in any log line or error,
// even when BigQuery's own message quotes one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BigQueryUnauthorizedError } from '../src/errors.js';
import type { FakeBigQuery } from '../src/testing/index.js';
import { captureLogger, connectorFor, extractInto, KEY_ENV, parseConfig, startFake, tempDir, TOKEN_ENV } from './helpers.js';

let fake: FakeBigQuery;
let tmp: Awaited<ReturnType<typeof tempDir>>;
const tables = [{ id: 'sales.orders' }];

beforeEach(async () => {
  fake = await startFake();
  fake.addTable({ datasetId: 'sales', tableId: 'orders', schema: [{ name: 'id', type: 'INT64' }], rows: [{ id: 1 }] });
  tmp = await tempDir();
});
afterEach(async () => {
  await fake.close();
  await tmp.cleanup();
});

/** The key's PEM body lines long enough to recognise. */
function keyLines(): string[] {
  return fake
    .serviceAccountKey()
    .private_key.split('\n')
    .filter((l) => l.length > 40 && !l.startsWith('-----'));
}

describe('a service-account key', () => {
  it('signs a JWT for the token endpoint once and reuses the access token', async () => {
    const report = await extractInto(connectorFor(parseConfig(fake, { tables })).connector, tmp.dir);
    expect(report.tables[0].status).toBe('ok');
    const grants = fake.requests.filter((r) => r.path === '/token');
    expect(grants).toHaveLength(1);
    expect(grants[0].body).toMatchObject({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' });
    const calls = fake.requests.filter((r) => r.path.startsWith('/bigquery/v2/'));
    expect(calls.length).toBeGreaterThan(3);
    expect(new Set(calls.map((r) => r.headers.authorization)).size).toBe(1);
  });

  it('a refused grant fails the sync with BIGQUERY_UNAUTHORIZED, and neither the key nor a token reaches the logs or the error', async () => {
    fake.fail({ path: '/token', status: 400, reason: 'invalid_grant', message: `Invalid JWT Signature for ${keyLines()[2]}`, times: Infinity });
    const log = captureLogger();
    const error = await extractInto(connectorFor(parseConfig(fake, { tables }), log.logger).connector, tmp.dir, { logger: log.logger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BigQueryUnauthorizedError);
    expect((error as Error).message).toMatch(
      /token grant at http:\/\/127\.0\.0\.1:\d+\/token answered 400: invalid_grant: Invalid JWT Signature for \[redacted\]/,
    );
    const seen = `${log.text()}\n${(error as Error).message}\n${JSON.stringify(error)}`;
    for (const line of keyLines()) expect(seen).not.toContain(line);
    expect(seen).not.toContain(fake.serviceAccountKey().private_key_id);
  });

  it('a token BigQuery stops accepting is BIGQUERY_UNAUTHORIZED, not retried', async () => {
    const { connector } = connectorFor(parseConfig(fake, { tables }));
    await extractInto(connector, tmp.dir);
    fake.revokeTokens();
    fake.requests.length = 0;
    await expect(extractInto(connector, tmp.dir)).rejects.toBeInstanceOf(BigQueryUnauthorizedError);
    expect(fake.requests.filter((r) => r.path.startsWith('/bigquery/'))).toHaveLength(1);
  });
});

describe('a pre-issued access token', () => {
  it('is sent as the bearer token, and masked wherever BigQuery quotes it', async () => {
    const token = fake.accessToken();
    process.env[TOKEN_ENV] = token;
    const config = parseConfig(fake, { tables, credentials: { access_token_env: TOKEN_ENV } });
    const log = captureLogger();
    const { connector } = connectorFor(config, log.logger);
    expect((await extractInto(connector, tmp.dir)).tables[0].status).toBe('ok');
    expect(fake.requests.filter((r) => r.path === '/token')).toHaveLength(0);
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${token}`);

    fake.fail({
      path: '/jobs',
      method: 'POST',
      status: 403,
      reason: 'accessDenied',
      message: `Access Denied: token ${token} may not run jobs`,
      times: Infinity,
    });
    const report = await extractInto(connector, tmp.dir, { logger: log.logger });
    expect(report.tables[0]).toMatchObject({ status: 'error', error: expect.stringContaining('Access Denied: token [redacted] may not run jobs') });
    expect(log.text()).not.toContain(token);
    expect(JSON.stringify(report)).not.toContain(token);
    expect(connector.health()).toEqual({ status: 'healthy', detail: 'project acme-analytics; signs in with an access token' });
  });
});

describe('health', () => {
  it('names the project and how it signs in, without a secret', () => {
    const { connector } = connectorFor(parseConfig(fake, { tables, billing_project: 'acme-billing' }));
    const health = connector.health();
    expect(health).toEqual({
      status: 'healthy',
      detail: `project acme-analytics, billed to acme-billing; signs in with service account ${fake.serviceAccountKey().client_email}`,
    });
    expect(JSON.stringify(health)).not.toContain(process.env[KEY_ENV]!.slice(0, 40));
  });

  it('application default credentials naming a missing file are unhealthy', () => {
    const before = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/key.json';
    try {
      const { connector } = connectorFor(parseConfig(fake, { tables, credentials: { adc: true } }));
      expect(connector.health()).toMatchObject({ status: 'unhealthy', detail: expect.stringContaining('/nonexistent/key.json') });
    } finally {
      if (before === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = before;
    }
  });
});
