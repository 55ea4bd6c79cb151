// Writing a table's fresh rows into the extract per sync strategy, as DuckDB SQL: full refresh,
// incremental merge by primary key (newest wins), and partitioned writes that touch only the
// parts whose content changed. Also what the previous extract of the table holds, which
// decides whether new rows can be merged into it.
import { resolve } from 'node:path';
import { queryRows, sqlString, type ExtractWriter, type FileRow } from '@aida/core';
import { typedSelect, type CsvSource } from './csv-source.js';
import type { TablePlan } from './select.js';
import { quoteColumn, type ColumnPlan } from './types.js';

const NULL_PART = '__null__';
const EMPTY_PART = '__empty__';
/** The temp table holding the fresh rows while a strategy writes; dropped by the caller. */
export const FRESH = 'kbc_fresh';
const PART_FORMAT = { day: '%Y-%m-%d', month: '%Y-%m', year: '%Y' } as const;

export interface PreviousState {
  /** Files of the previous version of this table (one file, or one per part). */
  files: FileRow[];
  extractedAt?: Date;
  rows: number;
  /** Same column names and types as this sync would write, so new rows can be merged into it. */
  compatible: boolean;
  partitioned: boolean;
}

export async function previousState(plan: TablePlan, columns: ColumnPlan[], writer: ExtractWriter): Promise<PreviousState> {
  const files = writer.previousFiles.filter((f) => f.table_name === plan.name);
  const meta = writer.previousTables.find((t) => t.table_name === plan.name);
  const partitioned = files.some((f) => f.part !== null);
  const wantParts = plan.strategy === 'partitioned';
  let compatible = files.length > 0 && partitioned === wantParts && (wantParts || files.length === 1);
  if (compatible) {
    const described = await queryRows<{ column_name: string; column_type: string }>(
      writer.connection,
      `DESCRIBE SELECT * FROM read_parquet(${sqlString(resolve(writer.sourceDir, files[0].path))})`,
    );
    compatible = described.length === columns.length && described.every((d, i) => d.column_name === columns[i].name && d.column_type.replace(/\s/g, '') === columns[i].type);
  }
  return { files, extractedAt: meta?.extracted_at ? new Date(meta.extracted_at) : undefined, rows: meta?.rows ?? 0, compatible, partitioned };
}

function colList(columns: ColumnPlan[], alias?: string): string {
  return columns.map((c) => (alias ? `${alias}.${quoteColumn(c.name)}` : quoteColumn(c.name))).join(', ');
}

function keyOrder(plan: TablePlan): string {
  return plan.primaryKey.length ? ` ORDER BY ${plan.primaryKey.map(quoteColumn).join(', ')}` : '';
}

function keyMatch(plan: TablePlan, a: string, b: string): string {
  return plan.primaryKey.map((k) => `${a}.${quoteColumn(k)} IS NOT DISTINCT FROM ${b}.${quoteColumn(k)}`).join(' AND ');
}

/**
 * Fresh rows, one per key. Keboola keeps its own primary key unique, so only a key the config
 * chose can repeat; then a deterministic pick (highest values) keeps re-syncs byte-identical.
 */
function freshRows(plan: TablePlan, columns: ColumnPlan[], source: CsvSource): string {
  const base = typedSelect(columns, source);
  if (!plan.primaryKey.length || plan.keyIsKeboolas) return base;
  return `SELECT * FROM (${base}) QUALIFY row_number() OVER (PARTITION BY ${plan.primaryKey.map(quoteColumn).join(', ')} ORDER BY ${columns.map((c) => `${quoteColumn(c.name)} DESC NULLS LAST`).join(', ')}) = 1`;
}

export interface Written {
  rows: number;
  parts?: number;
  note: string;
}

export async function writeStrategy(
  plan: TablePlan,
  columns: ColumnPlan[],
  source: CsvSource,
  mergeInto: PreviousState | null,
  previous: PreviousState,
  writer: ExtractWriter,
): Promise<Written> {
  const options = { description: plan.description };
  if (plan.strategy === 'full_refresh') {
    const f = await writer.writeTable(plan.name, typedSelect(columns, source), options);
    return { rows: f.rows, note: 'full export' };
  }
  if (plan.strategy === 'incremental') {
    if (!mergeInto) {
      const f = await writer.writeTable(plan.name, `SELECT * FROM (${freshRows(plan, columns, source)})${keyOrder(plan)}`, options);
      return { rows: f.rows, note: 'full export' };
    }
    await writer.connection.run(`CREATE OR REPLACE TEMP TABLE ${FRESH} AS ${freshRows(plan, columns, source)}`);
    const fresh = await count(writer, FRESH);
    if (fresh === 0) return { rows: mergeInto.rows, note: 'no changes' };
    const prev = sqlString(resolve(writer.sourceDir, mergeInto.files[0].path));
    // Newest wins: every fresh row, plus the previous rows whose key did not come again.
    const f = await writer.writeTable(
      plan.name,
      `SELECT * FROM (SELECT ${colList(columns)} FROM ${FRESH} UNION ALL SELECT ${colList(columns, 'p')} FROM read_parquet(${prev}) p ANTI JOIN ${FRESH} f ON (${keyMatch(plan, 'p', 'f')}))${keyOrder(plan)}`,
      options,
    );
    return { rows: f.rows, note: `${fresh} changed rows merged` };
  }
  return writePartitioned(plan, columns, source, mergeInto, previous, writer);
}

/**
 * Partitioned by day, month or year of a date column; only parts whose content changed are
 * written, so unchanged parts keep their file (and hash). With a key and a compatible previous
 * extract the export holds only changed rows: they are merged into the parts they fall in, and
 * removed from the parts they moved out of. Without, the whole table is exported and each
 * part is compared with its previous version by row count and a content checksum.
 */
async function writePartitioned(
  plan: TablePlan,
  columns: ColumnPlan[],
  source: CsvSource,
  mergeInto: PreviousState | null,
  previous: PreviousState,
  writer: ExtractWriter,
): Promise<Written> {
  const p = plan.partition!;
  const partExpr = `coalesce(strftime(CAST(${quoteColumn(p.column)} AS DATE), '${PART_FORMAT[p.granularity]}'), '${NULL_PART}')`;
  await writer.connection.run(`CREATE OR REPLACE TEMP TABLE ${FRESH} AS SELECT *, ${partExpr} AS _aida_part FROM (${freshRows(plan, columns, source)})`);
  const freshParts = (await queryRows<{ part: string }>(writer.connection, `SELECT DISTINCT _aida_part AS part FROM ${FRESH} ORDER BY 1`)).map((r) => r.part);
  const prevByPart = new Map(previous.files.filter((f) => f.part !== null).map((f) => [f.part!, resolve(writer.sourceDir, f.path)]));
  const options = { description: plan.description };
  const partSql = (part: string) => `SELECT ${colList(columns)} FROM ${FRESH} WHERE _aida_part = ${sqlString(part)}${keyOrder(plan)}`;
  const total = (written: FileRow[], replaceAll: boolean) => {
    const names = new Set(written.map((f) => f.part));
    const kept = replaceAll ? [] : previous.files.filter((f) => f.part !== null && !names.has(f.part));
    return [...written, ...kept].reduce((n, f) => n + f.rows, 0);
  };

  if (mergeInto) {
    if (!freshParts.length) return { rows: previous.rows, parts: 0, note: 'no changes' };
    const affected = new Set(freshParts);
    const paths = [...prevByPart.values()];
    if (paths.length) {
      const moved = await queryRows<{ filename: string }>(
        writer.connection,
        `SELECT DISTINCT p.filename FROM read_parquet([${paths.map(sqlString).join(', ')}], filename = true) p SEMI JOIN ${FRESH} f ON (${keyMatch(plan, 'p', 'f')})`,
      );
      const partOfPath = new Map([...prevByPart].map(([part, path]) => [path, part]));
      for (const m of moved) {
        const part = partOfPath.get(m.filename);
        if (part) affected.add(part);
      }
    }
    const parts = [...affected].sort().map((part) => {
      const prev = prevByPart.get(part);
      const merged = prev
        ? `SELECT * FROM (SELECT ${colList(columns)} FROM ${FRESH} WHERE _aida_part = ${sqlString(part)} UNION ALL SELECT ${colList(columns, 'p')} FROM read_parquet(${sqlString(prev)}) p ANTI JOIN ${FRESH} f ON (${keyMatch(plan, 'p', 'f')}))${keyOrder(plan)}`
        : partSql(part);
      return { part, selectSql: merged };
    });
    const written = await writer.writeTableParts(plan.name, parts, options);
    return { rows: total(written, false), parts: written.length, note: `${await count(writer, FRESH)} changed rows merged into ${written.length} part(s)` };
  }

  if (!freshParts.length) {
    // An empty table still needs one (empty) file with its columns.
    const written = await writer.writeTableParts(plan.name, [{ part: EMPTY_PART, selectSql: partSql(EMPTY_PART) }], { ...options, replaceAll: true });
    return { rows: total(written, true), parts: 1, note: 'empty table' };
  }
  const comparable = previous.compatible && previous.partitioned;
  if (!comparable) {
    const written = await writer.writeTableParts(plan.name, freshParts.map((part) => ({ part, selectSql: partSql(part) })), { ...options, replaceAll: true });
    return { rows: total(written, true), parts: written.length, note: 'full export, every part written' };
  }
  // Whole export: rewrite only parts whose row count or content checksum differ.
  const rowHash = `sum(hash(${colList(columns)}))::VARCHAR`;
  const freshPrints = new Map(
    (await queryRows<{ part: string; n: number; h: string }>(writer.connection, `SELECT _aida_part AS part, count(*) AS n, ${rowHash} AS h FROM ${FRESH} GROUP BY 1`)).map((r) => [r.part, `${r.n}/${r.h}`]),
  );
  const prevPrints = new Map<string, string>();
  if (prevByPart.size) {
    const partOfPath = new Map([...prevByPart].map(([part, path]) => [path, part]));
    const rows = await queryRows<{ filename: string; n: number; h: string }>(
      writer.connection,
      `SELECT filename, count(*) AS n, ${rowHash} AS h FROM read_parquet([${[...prevByPart.values()].map(sqlString).join(', ')}], filename = true) GROUP BY 1`,
    );
    for (const r of rows) prevPrints.set(partOfPath.get(r.filename) ?? r.filename, `${r.n}/${r.h}`);
    for (const part of prevByPart.keys()) if (!prevPrints.has(part)) prevPrints.set(part, '0/null');
  }
  const vanished = [...prevPrints.keys()].filter((part) => !freshPrints.has(part));
  const changed = freshParts.filter((part) => prevPrints.get(part) !== freshPrints.get(part));
  if (vanished.length) {
    // A part can only be removed by replacing the whole set; unchanged parts get the same file names back.
    const written = await writer.writeTableParts(plan.name, freshParts.map((part) => ({ part, selectSql: partSql(part) })), { ...options, replaceAll: true });
    return { rows: total(written, true), parts: written.length, note: `parts ${vanished.join(', ')} disappeared, every part written` };
  }
  if (!changed.length) return { rows: previous.rows, parts: 0, note: 'no changes' };
  const written = await writer.writeTableParts(plan.name, changed.map((part) => ({ part, selectSql: partSql(part) })), options);
  return { rows: total(written, false), parts: written.length, note: `${written.length} changed part(s) written` };
}

async function count(writer: ExtractWriter, table: string): Promise<number> {
  const [{ n }] = await queryRows<{ n: number }>(writer.connection, `SELECT count(*) AS n FROM ${table}`);
  return n;
}
