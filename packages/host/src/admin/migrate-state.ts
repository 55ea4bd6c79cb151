import { ConflictError, InputError, quoteIdent } from '@aida/core';
import { stateConfigSchema, stateUrl, type StateConfig } from '../state/config.js';
import { migrate, migrations } from '../state/migrations/index.js';
import { PostgresSystemDb } from '../state/postgres-db.js';
import type { SqlRunner } from '../state/system-db.js';
import { readCatalog, type CatalogSequence, type CatalogTable } from './duckdb-catalog.js';
import { columnTransfer, postgresExpression, type ColumnTransfer } from './postgres-types.js';
import { openReadOnly, refuseLiveHost, requireCurrentSchema, requireInstance, type ReadOnlySystemDb } from './stopped-instance.js';

export interface MigrateStateOptions {
  /** Only `duckdb` (the embedded state). */
  from: string;
  /** Only `postgres`. */
  to: string;
  /** The config's `state:` section: where the target is unless `url`/`schema` say otherwise. */
  state: StateConfig;
  url?: string;
  schema?: string;
  /** Rows per INSERT at most (fewer for wide tables and large values). */
  batchRows?: number;
}

export interface CopiedTable {
  name: string;
  rows: number;
  /** True when the table did not exist in PostgreSQL (a plugin's): it was made from the DuckDB catalog. */
  created: boolean;
}

export interface MigrateStateOutcome {
  source: string;
  /** The server (password hidden) and schema. */
  target: string;
  schema: string;
  schema_version: number;
  tables: CopiedTable[];
  /** Tables of the DuckDB file that are not copied, and why. */
  skipped: { name: string; rows: number; reason: string }[];
  sequences: string[];
  /** What could not be carried over exactly (a default or check PostgreSQL refused). */
  warnings: string[];
}

/**
 * Tables not copied. `schema_version` is written by the target's own migrations. `jobs` is the
 * embedded job backend's table: with PostgreSQL state, Agenda keeps its jobs in a table of its own
 * there (jobs.table), and the host defines its scheduled jobs again at start.
 */
const NOT_COPIED: Record<string, string> = {
  schema_version: 'written by the migrations of the target',
  jobs: "the embedded job backend's table: the host re-creates its scheduled jobs in PostgreSQL (Agenda's own table) at start",
};

const MAX_PARAMS = 30_000;
const MAX_BATCH_BYTES = 4 << 20;

/**
 * `aida migrate-state --from duckdb --to postgres`: copies a stopped instance's system database
 * (`state/system.duckdb`) into a PostgreSQL schema, in one PostgreSQL transaction, and checks the
 * row count of every table afterwards. The DuckDB file is opened read only and left as it was.
 *
 * - The source must be at this version's schema (like every operator command: `aida migrate` first).
 * - The target is migrated to the same schema, and must hold no rows yet.
 * - Every table is copied, the host's and the plugins'. A plugin's tables exist in PostgreSQL only
 *   once its migrations ran there, and those run inside the plugin's init (within a whole host); so
 *   a table missing there is made from the DuckDB catalog (types, NOT NULL, keys, defaults, checks,
 *   indexes), and `plugin_schema_version` is copied, so the plugin sees its schema as applied and
 *   runs only its later migrations. Sequences are carried with their positions.
 */
export async function migrateState(dataDir: string, options: MigrateStateOptions): Promise<MigrateStateOutcome> {
  if (options.from !== 'duckdb' || options.to !== 'postgres') {
    throw new InputError(
      `migrate-state copies the embedded state into PostgreSQL: use --from duckdb --to postgres (got --from ${options.from} --to ${options.to})`,
    );
  }
  const { url, schema } = targetOf(options);
  const path = requireInstance(dataDir);
  await refuseLiveHost(dataDir, 'migrate-state');
  const source = await openReadOnly(dataDir, path);
  try {
    await requireCurrentSchema(source);
    const catalog = await readCatalog(source);
    const copied = catalog.tables.filter((t) => !NOT_COPIED[t.name]);
    // Every column's type is checked before anything is written.
    const transfers = new Map(copied.map((t) => [t.name, t.columns.map((c) => columnTransfer(t.name, c))]));
    const target = await PostgresSystemDb.open({ url, schema, poolSize: 2 });
    try {
      await refuseOccupied(target, target.path, copied);
      const { to } = await migrate(target, migrations);
      const warnings: string[] = [];
      const tables = await target.transaction(async (tx) => {
        // Two copies into one schema at once would both find it empty.
        await tx.all('SELECT pg_advisory_xact_lock(hashtext(current_schema()))');
        await refuseOccupied(tx, target.path, copied);
        await createSequences(tx, catalog.sequences);
        const existing = await postgresColumns(tx);
        const out: CopiedTable[] = [];
        for (const table of copied) {
          const columns = transfers.get(table.name)!;
          const created = !existing.has(table.name);
          if (created) await createTable(tx, table, columns, warnings);
          else requireColumns(table, existing.get(table.name)!, target.path);
          await copyRows(source, tx, table, columns, options.batchRows ?? 500);
          out.push({ name: table.name, rows: table.rows, created });
        }
        await verifyCounts(tx, copied);
        await placeSequences(tx, catalog.sequences);
        return out;
      });
      return {
        source: path,
        target: target.path,
        schema,
        schema_version: to,
        tables,
        skipped: catalog.tables.filter((t) => NOT_COPIED[t.name]).map((t) => ({ name: t.name, rows: t.rows, reason: NOT_COPIED[t.name] })),
        sequences: catalog.sequences.map((s) => s.name),
        warnings,
      };
    } finally {
      await target.close();
    }
  } finally {
    source.close();
  }
}

/** The flags, else the config's `state:` section (url, or the variable url_env names; schema). */
function targetOf(options: MigrateStateOptions): { url: string; schema: string } {
  const url = options.url ?? stateUrl(options.state);
  if (!url) {
    throw new InputError(
      `No PostgreSQL to copy into: pass --url, or set state.url or the environment variable ${options.state.url_env} to its connection string (e.g. postgresql://aida:secret@db:5432/aida)`,
    );
  }
  const schema = options.schema ?? options.state.schema;
  const checked = stateConfigSchema.shape.schema.safeParse(schema);
  if (!checked.success) throw new InputError(`--schema ${JSON.stringify(schema)} ${checked.error.issues[0]?.message ?? 'is invalid'}`);
  return { url, schema };
}

/** Refuses a target that holds rows in any table the copy writes: the copy never merges. */
async function refuseOccupied(db: Pick<SqlRunner, 'all'>, where: string, tables: readonly CatalogTable[]): Promise<void> {
  const present = new Set(
    (
      await db.all<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      )
    ).map((r) => r.name),
  );
  const occupied: string[] = [];
  for (const t of tables) {
    if (!present.has(t.name)) continue;
    const [{ n }] = await db.all<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${quoteIdent(t.name)}`);
    if (n > 0) occupied.push(`${t.name}: ${n} row${n === 1 ? '' : 's'}`);
  }
  if (occupied.length) {
    const schema = /schema (\S+)$/.exec(where)?.[1] ?? 'the schema';
    throw new ConflictError(
      `${where} already holds data (${occupied.slice(0, 5).join(', ')}${occupied.length > 5 ? ', …' : ''}): migrate-state copies into an empty schema only. ` +
        `Choose another schema (--schema, or state.schema), or drop this one if what it holds is not needed (DROP SCHEMA ${schema} CASCADE)`,
      { detail: { target: where, occupied } },
    );
  }
}

/** Columns of every table in the target schema. */
async function postgresColumns(tx: SqlRunner): Promise<Map<string, Set<string>>> {
  const rows = await tx.all<{ t: string; c: string }>(
    `SELECT c.table_name AS t, c.column_name AS c FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`,
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    let set = out.get(r.t);
    if (!set) out.set(r.t, (set = new Set()));
    set.add(r.c);
  }
  return out;
}

function requireColumns(table: CatalogTable, present: Set<string>, where: string): void {
  const missing = table.columns.filter((c) => !present.has(c.name)).map((c) => c.name);
  if (missing.length) {
    throw new ConflictError(`${table.name} in ${where} has no column ${missing.join(', ')}, which the DuckDB file has: the two schemas differ`, {
      detail: { table: table.name, missing },
    });
  }
}

async function createSequences(tx: SqlRunner, sequences: readonly CatalogSequence[]): Promise<void> {
  for (const s of sequences) {
    await tx.run(
      `CREATE SEQUENCE IF NOT EXISTS ${quoteIdent(s.name)} INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} START ${s.start} ${s.cycle ? 'CYCLE' : 'NO CYCLE'}`,
    );
  }
}

/**
 * After the rows: each sequence continues after DuckDB's. DuckDB reports the counter it keeps
 * (the value it would hand out next, once the file was reopened) as last_value, so PostgreSQL may
 * skip one value; it never hands out one already used.
 */
async function placeSequences(tx: SqlRunner, sequences: readonly CatalogSequence[]): Promise<void> {
  for (const s of sequences) {
    if (s.last !== null) await tx.all('SELECT setval(?::regclass, ?::BIGINT, true)', [quoteIdent(s.name), s.last]);
  }
}

/**
 * A table the target does not have (a plugin's), from the DuckDB catalog: columns, NOT NULL and
 * keys in the CREATE (the plugin's upserts need its keys); defaults, checks and indexes each on
 * their own, where one PostgreSQL cannot take is reported instead of stopping the copy.
 */
async function createTable(tx: SqlRunner, table: CatalogTable, columns: readonly ColumnTransfer[], warnings: string[]): Promise<void> {
  const name = quoteIdent(table.name);
  const keyList = (cols: readonly string[]) => cols.map((c) => quoteIdent(c)).join(', ');
  const parts = table.columns.map((c, i) => `${quoteIdent(c.name)} ${columns[i].postgresType}${c.nullable ? '' : ' NOT NULL'}`);
  if (table.primaryKey) parts.push(`PRIMARY KEY (${keyList(table.primaryKey)})`);
  for (const u of table.unique) parts.push(`UNIQUE (${keyList(u)})`);
  await tx.run(`CREATE TABLE ${name} (${parts.join(', ')})`);
  for (const c of table.columns) {
    if (c.default === null) continue;
    await optionalDdl(
      tx,
      `ALTER TABLE ${name} ALTER COLUMN ${quoteIdent(c.name)} SET DEFAULT ${postgresExpression(c.default)}`,
      `the default of ${table.name}.${c.name} (${c.default})`,
      warnings,
    );
  }
  for (const check of table.checks) {
    await optionalDdl(tx, `ALTER TABLE ${name} ADD CHECK (${postgresExpression(check)})`, `the check ${check} of ${table.name}`, warnings);
  }
  for (const index of table.indexes) await optionalDdl(tx, index, `the index ${index}`, warnings);
}

async function optionalDdl(tx: SqlRunner, sql: string, what: string, warnings: string[]): Promise<void> {
  await tx.run('SAVEPOINT aida_optional_ddl');
  try {
    await tx.run(sql);
    await tx.run('RELEASE SAVEPOINT aida_optional_ddl');
  } catch (e) {
    await tx.run('ROLLBACK TO SAVEPOINT aida_optional_ddl');
    warnings.push(`${what} was not carried over: PostgreSQL refused it (${(e as Error).message})`);
  }
}

/** Streams the table out of DuckDB and writes it in multi-row INSERTs. */
async function copyRows(source: ReadOnlySystemDb, tx: SqlRunner, table: CatalogTable, columns: readonly ColumnTransfer[], batchRows: number): Promise<void> {
  if (!table.rows || !columns.length) return;
  const perBatch = Math.max(1, Math.min(batchRows, Math.floor(MAX_PARAMS / columns.length)));
  const head = `INSERT INTO ${quoteIdent(table.name)} (${columns.map((c) => quoteIdent(c.column)).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  let params: unknown[] = [];
  let rows = 0;
  let bytes = 0;
  const flush = async () => {
    if (!rows) return;
    // pg takes Buffers and arrays as they are (the parameter type names DuckDB's values).
    await tx.run(head + Array.from({ length: rows }, () => tuple).join(', '), params as unknown as Parameters<SqlRunner['run']>[1]);
    params = [];
    rows = 0;
    bytes = 0;
  };
  const result = await source.conn.stream(`SELECT ${columns.map((c) => c.select).join(', ')} FROM ${quoteIdent(table.name)}`);
  for await (const chunk of result.yieldRowsJs()) {
    for (const row of chunk) {
      for (let i = 0; i < columns.length; i++) {
        const value = columns[i].toParam(row[i]);
        params.push(value);
        bytes += typeof value === 'string' ? value.length : Buffer.isBuffer(value) ? value.length : 8;
      }
      rows++;
      if (rows >= perBatch || bytes >= MAX_BATCH_BYTES) await flush();
    }
  }
  await flush();
}

/** Every copied table holds as many rows in PostgreSQL as in DuckDB, or the transaction is rolled back. */
async function verifyCounts(tx: SqlRunner, tables: readonly CatalogTable[]): Promise<void> {
  const wrong: string[] = [];
  for (const t of tables) {
    const [{ n }] = await tx.all<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${quoteIdent(t.name)}`);
    if (Number(n) !== t.rows) wrong.push(`${t.name}: ${t.rows} in DuckDB, ${n} in PostgreSQL`);
  }
  if (wrong.length) {
    throw new ConflictError(`The copy does not match its source, so nothing was kept (rolled back): ${wrong.join('; ')}`, { detail: { wrong } });
  }
}

/** What the operator reads: the rows of every table, what was not copied, and what to do next. */
export function renderMigrateState(out: MigrateStateOutcome): string {
  const width = Math.max(5, ...out.tables.map((t) => t.name.length), ...out.skipped.map((t) => t.name.length));
  const total = out.tables.reduce((n, t) => n + t.rows, 0);
  const lines = [
    `Copied ${out.source} into ${out.target} (schema version ${out.schema_version}) in one transaction: ${out.tables.length} tables, ${total} rows; every table's row count checked.`,
    '',
    `  ${'TABLE'.padEnd(width)}  ROWS`,
    ...out.tables.map((t) => `  ${t.name.padEnd(width)}  ${String(t.rows).padStart(4)}${t.created ? '  (created from the DuckDB catalog)' : ''}`),
    ...out.skipped.map((t) => `  ${t.name.padEnd(width)}  ${String(t.rows).padStart(4)}  not copied: ${t.reason}`),
  ];
  if (out.sequences.length) lines.push('', `  Sequences carried over: ${out.sequences.join(', ')}.`);
  for (const w of out.warnings) lines.push(`  note: ${w}`);
  lines.push(
    '',
    '  Scheduled jobs are not copied: the host re-creates them in PostgreSQL when it starts (one-off runs still queued in DuckDB are dropped).',
    `  Next: set state.backend: postgres (with state.url_env or state.url, and state.schema: ${out.schema}) in the instance config and start the host.`,
    `  ${out.source} is left as it was: a host on the old config would still use it, and it no longer receives changes.`,
  );
  return lines.join('\n');
}
