import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { KeboolaClient } from '../src/client.js';
import { clientOptionsFrom, keboolaConfigSchema, type KeboolaConfig } from '../src/config.js';
import type { FakeKeboola, FakeTable } from '../src/testing/fake-keboola.js';

export const TOKEN = '1234-567890-kbcSecretTokenValueDoNotLog';
export const TOKEN_ENV = 'AIDA_TEST_KBC_TOKEN';
process.env[TOKEN_ENV] = TOKEN;

/** A pino logger at debug level whose lines are kept in `lines`. */
export function captureLogger(): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines, text: () => lines.join('') };
}

export function parseConfig(fake: FakeKeboola, extra: Record<string, unknown>): KeboolaConfig {
  return keboolaConfigSchema.parse(fake.config(extra));
}

export function clientFor(config: KeboolaConfig, logger?: Logger): KeboolaClient {
  return new KeboolaClient(clientOptionsFrom(config, TOKEN, logger));
}

const T0 = Date.parse('2024-05-01T00:00:00Z');

/** Orders with one column of every Keboola base type (and one the connector does not know). */
export function ordersTable(n: number, o: Partial<FakeTable> = {}): FakeTable {
  const rows = Array.from({ length: n }, (_, i) => ({ values: orderRow(i + 1), changedAt: T0 }));
  return {
    id: 'in.c-sales.orders',
    columns: ['id', 'customer', 'amount', 'qty', 'ratio', 'paid', 'order_date', 'created_at', 'note', 'location'],
    primaryKey: ['id'],
    types: {
      id: { basetype: 'INTEGER' },
      customer: { basetype: 'STRING' },
      amount: { basetype: 'NUMERIC', length: '12,2' },
      qty: { basetype: 'INTEGER' },
      ratio: { basetype: 'FLOAT' },
      paid: { basetype: 'BOOLEAN' },
      order_date: { basetype: 'DATE' },
      created_at: { basetype: 'TIMESTAMP' },
      location: { basetype: 'GEOGRAPHY' },
    },
    rows,
    description: 'Orders from the shop',
    ...o,
  };
}

export function orderRow(i: number, over: Record<string, string> = {}): Record<string, string> {
  const day = 1 + (i % 28);
  const month = 1 + (i % 3);
  return {
    id: String(i),
    customer: `customer "${i % 7}", inc`,
    amount: (i * 1.25).toFixed(2),
    qty: i % 5 === 0 ? '' : String(i % 5),
    ratio: String(i / 8),
    paid: i % 2 ? 'true' : '0',
    order_date: `2024-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    created_at: `2024-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} 10:00:00`,
    note: i % 4 === 0 ? '' : `line one\nline two ${i}`,
    location: `POINT(${i} ${i})`,
    ...over,
  };
}
