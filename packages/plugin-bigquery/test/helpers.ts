// Shared by the tests: a fake BigQuery seeded per test, the plugin's config pointed at it (a
// service-account key in an environment variable, the fake's token endpoint), extraction into a
// real ExtractWriter in a temp folder, and reading what was committed back with DuckDB.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { ExtractWriter, readExtract, type ExtractReport } from '@aida/core';
import { pino, type Logger } from 'pino';
import { BigQueryApi } from '../src/client.js';
import { apiOptionsFrom, bigQueryConfigSchema, type BigQueryConfig } from '../src/config.js';
import { BigQueryConnector } from '../src/connector.js';
import { startFakeBigQuery, type FakeBigQuery } from '../src/testing/index.js';

export const PROJECT = 'acme-analytics';
export const KEY_ENV = 'AIDA_TEST_BQ_SA_JSON';
export const TOKEN_ENV = 'AIDA_TEST_BQ_TOKEN';

export async function startFake(o: { location?: string; datasets?: string[] } = {}): Promise<FakeBigQuery> {
  const fake = await startFakeBigQuery({ projectId: PROJECT, location: o.location ?? 'EU' });
  for (const d of o.datasets ?? ['sales']) fake.addDataset(d);
  process.env[KEY_ENV] = JSON.stringify(fake.serviceAccountKey());
  return fake;
}

/** The plugin's config slice (as instance.yaml would hold it) for a fake; fast retries. */
export function configFor(fake: FakeBigQuery, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    project: PROJECT,
    location: fake.location,
    credentials: { service_account_env: KEY_ENV },
    api_endpoint: fake.url,
    token_url: fake.tokenUrl,
    retries: { max: 3, base_delay: '5ms', max_delay: '20ms' },
    ...extra,
  };
}

export function parseConfig(fake: FakeBigQuery, extra: Record<string, unknown> = {}): BigQueryConfig {
  return bigQueryConfigSchema.parse(configFor(fake, extra));
}

export function connectorFor(config: BigQueryConfig, logger?: Logger): { connector: BigQueryConnector; api: BigQueryApi } {
  const api = new BigQueryApi(apiOptionsFrom(config, logger));
  return { connector: new BigQueryConnector(config, api), api };
}

/** A pino logger at debug level whose lines are kept. */
export function captureLogger(): { logger: Logger; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

export const silent = pino({ level: 'silent' });

export async function tempDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'aida-bq-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** One extraction into `<dir>/extracts/<source>`, committed (as the host does) unless it threw. */
export async function extractInto(connector: BigQueryConnector, dir: string, o: { tables?: string[]; logger?: Logger } = {}): Promise<ExtractReport> {
  const writer = await ExtractWriter.open(join(dir, 'extracts', connector.source));
  try {
    const report = await connector.extract({ writer, tables: o.tables, signal: new AbortController().signal, logger: o.logger ?? silent });
    await writer.commit();
    return report;
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** What the committed extract holds for `table`: its meta, files and rows (read from its Parquet files in order). */
export async function readTable(dir: string, source: string, table: string, orderBy?: string) {
  const sourceDir = join(dir, 'extracts', source);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`SET TimeZone = 'UTC'`);
    const extract = await readExtract(conn, join(sourceDir, 'extract.duckdb'));
    const meta = extract.meta.find((m) => m.table_name === table);
    const files = extract.files.filter((f) => f.table_name === table);
    if (!files.length) return { meta, files, rows: [] as Record<string, unknown>[], types: {} as Record<string, string> };
    const list = `[${files.map((f) => `'${resolve(sourceDir, f.path)}'`).join(', ')}]`;
    const reader = await conn.runAndReadAll(`SELECT * FROM read_parquet(${list})${orderBy ? ` ORDER BY ${orderBy}` : ''}`);
    const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list})`);
    const types = Object.fromEntries(described.getRowObjectsJson().map((r) => [String(r.column_name), String(r.column_type)]));
    return { meta, files, rows: reader.getRowObjectsJson() as Record<string, unknown>[], types };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
