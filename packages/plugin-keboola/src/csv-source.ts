// Reading a downloaded export in DuckDB: the `read_csv(...)` over its files (typed, and all-text
// for diagnosis), the typed SELECT the strategies write from, the header of a non-sliced file,
// and turning a failed conversion into a message naming the column and a bad value.
import { open, stat } from 'node:fs/promises';
import { queryRows, sqlString, type ExtractWriter } from '@aida/core';
import type { DownloadedExport } from './client.js';
import type { TablePlan } from './select.js';
import { badValuesExpression, castExpression, isTypedTable, quoteColumn, readType, type ColumnPlan } from './types.js';

/** `read_csv(...)` over the downloaded files: typed, and all-text (to diagnose bad values); null when there is no data. */
export interface CsvSource {
  sql: string | null;
  rawSql: string | null;
}

export async function csvSource(d: DownloadedExport, plan: TablePlan, columns: ColumnPlan[]): Promise<CsvSource> {
  const paths: string[] = [];
  for (const p of d.paths) if ((await stat(p)).size > 0) paths.push(p);
  if (!paths.length) return { sql: null, rawSql: null };
  let fileColumns = columns.map((c) => c.name);
  if (!d.sliced) {
    // A non-sliced file starts with a header: read columns by their names there.
    const header = await readCsvHeader(paths[0]);
    const missing = fileColumns.filter((c) => !header.includes(c));
    if (missing.length) throw new Error(`the exported file's header (${header.join(', ')}) lacks ${missing.join(', ')}`);
    for (const h of header) quoteColumn(h);
    fileColumns = header;
  } else if (!plan.columns) {
    // Slices have no header: they hold the table's columns in the table's order.
    fileColumns = plan.table.columns ?? fileColumns;
  }
  const planned = new Map(columns.map((c) => [c.name, c]));
  // Keboola ends rows with LF. Without an explicit new_line DuckDB guesses the line ending from
  // the first one it meets, even inside quotes, so a CR or CRLF in a quoted value of a slice's
  // first row failed the whole table ("unterminated quote") depending on where Keboola cut it.
  const reader = (types: (name: string) => string, extra: string) =>
    `read_csv([${paths.map((p) => sqlString(p)).join(', ')}], header = ${d.sliced ? 'false' : 'true'}, columns = {${fileColumns
      .map((c) => `${sqlString(c)}: '${types(c)}'`)
      .join(', ')}}, auto_detect = false, delim = ',', quote = '"', escape = '"', new_line = '\\n', strict_mode = true${extra})`;
  const strings = fileColumns.filter((c) => (planned.get(c)?.type ?? 'VARCHAR') === 'VARCHAR');
  // Typed tables write NULL as a bare empty field and '' as "": a quoted "" is never NULL there.
  // Non-typed tables quote every value and hold no NULLs, so an empty value is '' in string
  // columns (force_not_null) and NULL in the columns AIDA types.
  const nulls = isTypedTable(plan.table)
    ? ', allow_quoted_nulls = false'
    : strings.length
      ? `, force_not_null = [${strings.map((c) => sqlString(c)).join(', ')}]`
      : '';
  return {
    sql: reader((c) => (planned.has(c) ? readType(planned.get(c)!) : 'VARCHAR'), nulls),
    rawSql: reader(() => 'VARCHAR', ', allow_quoted_nulls = false'),
  };
}

export function typedSelect(columns: ColumnPlan[], source: CsvSource): string {
  if (!source.sql) return `SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteColumn(c.name)}`).join(', ')} WHERE false`;
  return `SELECT ${columns.map((c) => `${castExpression(c)} AS ${quoteColumn(c.name)}`).join(', ')} FROM ${source.sql}`;
}

/** A conversion error, rewritten to name the column, the Keboola type and an example value. */
export async function explainCastError(e: Error, plan: TablePlan, columns: ColumnPlan[], source: CsvSource, writer: ExtractWriter): Promise<Error> {
  if (!/Conversion Error|Could not convert|Invalid Input Error|CSV Error/i.test(e.message) || !source.rawSql) return e;
  const typed = columns.filter((c) => c.type !== 'VARCHAR');
  if (!typed.length) return e;
  try {
    const emptyIsNull = !isTypedTable(plan.table);
    const [row] = await queryRows<Record<string, unknown>>(
      writer.connection,
      `SELECT ${typed.map((c) => badValuesExpression(c, emptyIsNull)).join(', ')} FROM ${source.rawSql}`,
    );
    for (const c of typed) {
      const n = Number(row[`n_${c.name}`] ?? 0);
      if (n > 0) {
        const example = String(row[`e_${c.name}`]).slice(0, 80);
        return new Error(
          `column ${c.name} (Keboola ${c.basetype ?? 'type'} → ${c.type}): ${n} value(s) cannot be converted, e.g. ${JSON.stringify(example)}; fix the data or set column_types: { ${c.name}: VARCHAR } for ${plan.table.id}`,
        );
      }
    }
  } catch {
    // The diagnosis failed too: report the original error.
  }
  return e;
}

/** Parses the first CSV record of a file (the header of a non-sliced export). */
export async function readCsvHeader(path: string): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const fields: string[] = [];
    let i = 0;
    let field = '';
    let quoted = false;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else field += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        fields.push(field);
        field = '';
      } else if (ch === '\n' || ch === '\r') break;
      else field += ch;
    }
    fields.push(field);
    return fields;
  } finally {
    await fh.close();
  }
}
