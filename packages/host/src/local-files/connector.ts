import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { resolve } from 'node:path';
import {
  isValidIdentifier,
  queryRows,
  sqlString,
  type Connector,
  type ServiceHealth,
  type DiscoveredTable,
  type ExtractReport,
  type ExtractRequest,
  type TableOutcome,
} from '@aida/core';
import { listDataFiles, type DataFile } from './files.js';

/** A folder of CSV, Parquet and JSON files as a source: one table per file. */
export class LocalFilesConnector implements Connector {
  readonly sourceType = 'local';
  private readonly folder: string;

  constructor(
    readonly source: string,
    folder: string,
  ) {
    this.folder = resolve(folder);
  }

  health(): ServiceHealth {
    if (existsSync(this.folder)) return { status: 'healthy' };
    return {
      status: 'degraded',
      detail: `folder ${this.folder} of source '${this.source}' does not exist: create it or fix its path in the config; the source has no tables until then`,
    };
  }

  async discover(): Promise<DiscoveredTable[]> {
    return (await listDataFiles(this.folder)).map((f) => ({
      name: f.table,
      bucket: this.source,
      sourceTable: f.file,
      description: `${f.file} in ${this.folder}`,
      lastChangedAt: f.modifiedAt.toISOString(),
    }));
  }

  async extract({ tables, writer, signal, logger }: ExtractRequest): Promise<ExtractReport> {
    // A missing folder is an error, not an empty source: it must never wipe the extract.
    if (!existsSync(this.folder)) throw new Error(`folder ${this.folder} of source '${this.source}' does not exist`);
    const files = await listDataFiles(this.folder);
    const wanted = tables ? new Set(tables) : null;
    const outcomes: TableOutcome[] = [];
    const seen = new Set<string>();
    for (const f of files) {
      if (wanted && !wanted.has(f.table)) continue;
      signal.throwIfAborted();
      const started = performance.now();
      if (!isValidIdentifier(f.table) || seen.has(f.table.toLowerCase())) {
        const why = seen.has(f.table.toLowerCase())
          ? 'another file already gives a table of that name'
          : 'it is not a valid table name (at most 64 letters, digits and _)';
        outcomes.push({ name: f.table, status: 'skipped', error: `${f.file}: skipped, ${why}` });
        logger.warn({ file: f.file }, `skipped ${f.file}: ${why}`);
        continue;
      }
      seen.add(f.table.toLowerCase());
      try {
        if (f.format === 'csv') await writer.connection.run(`DROP TABLE IF EXISTS ${REJECTS}; DROP TABLE IF EXISTS ${REJECTS}_scan`);
        const written = await writer.writeTable(f.table, readerSql(f), {
          description: f.file,
          verify: f.format === 'csv' ? (conn) => failOnRejectedRows(conn) : undefined,
        });
        outcomes.push({ name: f.table, status: 'ok', rows: written.rows, durationMs: performance.now() - started });
      } catch (e) {
        // DuckDB's JSON reader reports line numbers one past the bad line; find it exactly.
        const error = describeReadError(f.file, e as Error, f.format === 'json' ? await locateJsonError(f.path) : undefined);
        logger.warn({ file: f.file }, error);
        outcomes.push({ name: f.table, status: 'error', error, durationMs: performance.now() - started });
      }
    }
    // Tables whose file is gone leave the extract (only on a full sync).
    if (!wanted) {
      const present = new Set(files.map((f) => f.table));
      for (const t of writer.previousTables) if (!present.has(t.table_name)) writer.dropTable(t.table_name);
    }
    return { tables: outcomes };
  }
}

/** Rejected CSV rows are collected here instead of being silently dropped or padded. */
const REJECTS = 'aida_csv_rejects';

function readerSql(f: DataFile): string {
  const path = sqlString(f.path);
  switch (f.format) {
    case 'csv': {
      const tsv = f.file.toLowerCase().endsWith('.tsv') ? ", delim = '\\t'" : '';
      return `SELECT * FROM read_csv(${path}, header = true${tsv}, store_rejects = true, rejects_table = '${REJECTS}', rejects_scan = '${REJECTS}_scan')`;
    }
    case 'parquet':
      return `SELECT * FROM read_parquet(${path})`;
    case 'json':
      return `SELECT * FROM read_json(${path})`;
  }
}

/** A CSV row with too many or too few columns fails the table, naming the first bad line. */
async function failOnRejectedRows(conn: DuckDBConnection): Promise<void> {
  const [first] = await queryRows<{ line: number; error_message: string; n: number }>(
    conn,
    `SELECT line, error_message, count(*) OVER () AS n FROM ${REJECTS} ORDER BY line LIMIT 1`,
  );
  if (first) throw new Error(`CSV Error on Line: ${first.line}\n${first.error_message}${first.n > 1 ? ` (and ${first.n - 1} more bad rows)` : ''}`);
}

/** DuckDB's reader errors, reduced to a message naming the file and the line. */
export function describeReadError(file: string, e: Error, knownLine?: number): string {
  const msg = e.message;
  const line = knownLine ?? /Line:\s*(\d+)/i.exec(msg)?.[1] ?? /\bline (\d+)/i.exec(msg)?.[1] ?? /record\/value (\d+)/i.exec(msg)?.[1];
  const detail = msg
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(LINE 1:|\^|file =|Original Line)/.test(l))
    .slice(0, 3)
    .join(' ')
    .replace(/^[A-Za-z ]+Error:\s*/, '')
    .replace(/CSV Error on Line: \d+\s*/, '')
    .replace(/ in file "[^"]*"/, '')
    .replace(/, at byte \d+ in (line|record\/value) \d+/, '');
  return `${file}${line ? `, line ${line}` : ''}: ${detail.slice(0, 400)}`;
}

/** The 1-based line of the first JSON syntax error, or undefined (read only when a file already failed). */
export async function locateJsonError(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  if (lines.length > 1 && lines[0].trim().startsWith('{')) {
    for (const [i, l] of lines.entries()) {
      if (!l.trim()) continue;
      try {
        JSON.parse(l);
      } catch {
        return i + 1;
      }
    }
    return undefined;
  }
  try {
    JSON.parse(text);
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message)?.[1];
    if (pos) return text.slice(0, Number(pos)).split('\n').length;
  }
  return undefined;
}
