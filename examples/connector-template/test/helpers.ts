// What the tests share: the token (in the variable the config names), the fake source's two
// tables — an incremental one and a lookup table — and a logger whose lines a test can read.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { FakeSource, FakeTable } from '../src/testing/fake-source.js';

export const TOKEN = 'tpl-secret-token-4b1d9e77-do-not-log';
export const TOKEN_ENV = 'AIDA_TEST_TEMPLATE_TOKEN';
// zSecretEnv reads the variable at boot; the value is what the fake accepts.
process.env[TOKEN_ENV] = TOKEN;

/** Incremental: fetched by `updated_since`, merged by `id`, partitioned by month of `updated_at`. */
export const ORDERS: FakeTable = {
  name: 'orders',
  description: 'Orders, as the source keeps them',
  primary_key: ['id'],
  incremental: true,
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'customer', type: 'string' },
    { name: 'amount', type: 'number' },
    { name: 'updated_at', type: 'timestamp' },
  ],
};

/** A small lookup table: fetched whole and replaced each sync. */
export const COUNTRIES: FakeTable = {
  name: 'countries',
  primary_key: ['code'],
  incremental: false,
  columns: [
    { name: 'code', type: 'string' },
    { name: 'name', type: 'string' },
  ],
};

/** `n` orders spread over January to March 2024, two to three a month. */
export function orders(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    customer: `customer ${(i % 4) + 1}`,
    amount: (i + 1) * 12.5,
    updated_at: `2024-0${(i % 3) + 1}-1${i % 9}T10:00:00Z`,
  }));
}

export const COUNTRY_ROWS = [
  { code: 'CZ', name: 'Czechia' },
  { code: 'DE', name: 'Germany' },
  { code: 'FR', name: 'France' },
];

/** The plugin's config slice pointing at the fake, with short timeouts and retries so failures stay quick. */
export function pluginConfig(fake: FakeSource, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { base_url: fake.url, token_env: TOKEN_ENV, timeout: '2s', retries: { max: 2, base_delay: '10ms' }, ...extra };
}

/** A pino logger at debug level whose lines are kept, to check what was (and was not) logged. */
export function captureLogger(): { logger: Logger; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}
