import type { KeboolaMetadata, KeboolaTable } from './client.js';
import { COLUMN_PATTERN } from './config.js';

/** A column as it lands in Parquet: its Keboola name, the DuckDB type, and where the type came from. */
export interface ColumnPlan {
  name: string;
  /** DuckDB type: VARCHAR, BIGINT, DECIMAL(p,s), DOUBLE, BOOLEAN, DATE or TIMESTAMP. */
  type: string;
  /** Keboola base type (`KBC.datatype.basetype`), when the table has one for the column. */
  basetype?: string;
}

const DECIMAL = /^DECIMAL\((\d{1,2}),\s*(\d{1,2})\)$/;

/**
 * The DuckDB type for a Keboola base type. NUMERIC with a length `p,s` (p ≤ 38) is an exact
 * DECIMAL(p,s); NUMERIC without a usable length is DOUBLE, because guessing a scale would
 * round values silently. Unknown base types are VARCHAR with a warning.
 */
export function duckdbType(basetype: string | undefined, length?: string | null): { type: string; warning?: string } {
  if (basetype === undefined || basetype === '') return { type: 'VARCHAR' };
  switch (basetype.toUpperCase()) {
    case 'STRING':
      return { type: 'VARCHAR' };
    case 'INTEGER':
      return { type: 'BIGINT' };
    case 'NUMERIC': {
      const m = /^\s*(\d+)\s*(?:,\s*(\d+)\s*)?$/.exec(length ?? '');
      if (m) {
        const p = Number(m[1]);
        const s = Number(m[2] ?? 0);
        if (p >= 1 && p <= 38 && s <= p) return { type: `DECIMAL(${p},${s})` };
      }
      return { type: 'DOUBLE' };
    }
    case 'FLOAT':
      return { type: 'DOUBLE' };
    case 'BOOLEAN':
      return { type: 'BOOLEAN' };
    case 'DATE':
      return { type: 'DATE' };
    case 'TIMESTAMP':
      return { type: 'TIMESTAMP' };
    default:
      return { type: 'VARCHAR', warning: `unknown Keboola base type ${JSON.stringify(basetype)}, stored as VARCHAR` };
  }
}

/**
 * The base type and length Keboola records for a column: a typed table's definition first,
 * then column metadata, where the `user` provider's values beat those of components and
 * `storage`, and newer entries beat older ones.
 */
export function keboolaBaseType(table: KeboolaTable, column: string): { basetype?: string; length?: string | null } {
  const def = table.definition?.columns?.find((c) => c.name === column);
  if (def?.basetype) return { basetype: def.basetype, length: def.definition?.length ?? null };
  const entries = table.columnMetadata?.[column] ?? [];
  const rank = (m: KeboolaMetadata) => (m.provider === 'user' ? 2 : m.provider === 'storage' ? 0 : 1);
  const pick = (key: string) =>
    entries.filter((m) => m.key === key).sort((a, b) => rank(b) - rank(a) || String(b.timestamp ?? '').localeCompare(String(a.timestamp ?? '')))[0];
  const base = pick('KBC.datatype.basetype');
  if (!base) return {};
  const length = entries.find((m) => m.key === 'KBC.datatype.length' && m.provider === base.provider)?.value ?? null;
  return { basetype: base.value, length };
}

/**
 * Whether a table is typed (native types, e.g. Snowflake-backed): its export writes NULL as a
 * bare empty field and the empty string as `""`, where a non-typed table (strings only, no
 * NULLs) quotes every value.
 */
export function isTypedTable(table: KeboolaTable): boolean {
  return table.isTyped === true || table.definition !== undefined;
}

/** Columns to export and their types; `warnings` lists columns whose type could not be mapped. */
export function planColumns(
  table: KeboolaTable,
  o: { columns?: readonly string[]; columnTypes?: Readonly<Record<string, string>> },
): { columns: ColumnPlan[]; warnings: string[] } {
  const available = table.columns ?? table.definition?.columns?.map((c) => c.name) ?? [];
  const names = o.columns ?? available;
  if (!names.length) throw new Error(`Keboola table ${table.id} lists no columns`);
  const known = new Set(available);
  const warnings: string[] = [];
  const columns = names.map((name) => {
    if (!COLUMN_PATTERN.test(name)) throw new Error(`column ${JSON.stringify(name)} of ${table.id} is not a valid Keboola column name`);
    if (available.length && !known.has(name)) throw new Error(`column ${name} is not a column of Keboola table ${table.id} (it has ${available.join(', ')})`);
    const { basetype, length } = keboolaBaseType(table, name);
    const forced = o.columnTypes?.[name];
    if (forced) return { name, type: normaliseForcedType(forced), basetype };
    const mapped = duckdbType(basetype, length);
    if (mapped.warning) warnings.push(`column ${name}: ${mapped.warning}`);
    return { name, type: mapped.type, basetype };
  });
  for (const k of Object.keys(o.columnTypes ?? {})) {
    if (!names.includes(k)) throw new Error(`column_types names ${k}, which is not an exported column of ${table.id}`);
  }
  return { columns, warnings };
}

function normaliseForcedType(t: string): string {
  const m = DECIMAL.exec(t.toUpperCase());
  if (!m) return t.toUpperCase();
  const p = Number(m[1]);
  const s = Number(m[2]);
  if (p < 1 || p > 38 || s > p) throw new Error(`column type ${t}: DECIMAL precision must be 1–38 and scale at most the precision`);
  return `DECIMAL(${p},${s})`;
}

/** Double-quotes a column name already checked against COLUMN_PATTERN. */
export function quoteColumn(name: string): string {
  if (!COLUMN_PATTERN.test(name)) throw new Error(`invalid column name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * The type the CSV reader parses a column as (how empty values become NULL or '' is up to
 * `csvSource`'s options). Timestamps are read as text and converted by `castExpression`,
 * because the reader ignores UTC offsets.
 */
export function readType(c: ColumnPlan): string {
  return c.type === 'TIMESTAMP' ? 'VARCHAR' : c.type;
}

/**
 * SQL for a column's final value from what the reader produced. Only TIMESTAMP needs work:
 * values with a UTC offset (`…+02:00`) are converted to UTC through TIMESTAMPTZ (the
 * connection runs in UTC); the common case without one takes the fast direct cast. A value of
 * at most 19 bytes (`YYYY-MM-DD HH:MM:SS`) has nothing after its seconds, so the byte length
 * (O(1)) rules it out before the character-wise substr, which cost ~0.3 s of CPU per 5M rows.
 */
export function castExpression(c: ColumnPlan): string {
  const col = quoteColumn(c.name);
  if (c.type !== 'TIMESTAMP') return col;
  const tail = `substr(${col}, 20)`;
  return `CASE WHEN strlen(${col}) > 19 AND (strpos(${tail}, '+') > 0 OR strpos(${tail}, '-') > 0) THEN CAST(CAST(${col} AS TIMESTAMPTZ) AS TIMESTAMP) ELSE CAST(${col} AS TIMESTAMP) END`;
}

/**
 * SQL counting the values of a column that do not convert, for an error naming the column,
 * over the all-text read (where a quoted "" is ''). `emptyIsNull`: whether '' is a missing
 * value (non-typed tables) rather than an empty string that cannot convert (typed tables).
 */
export function badValuesExpression(c: ColumnPlan, emptyIsNull: boolean): string {
  const col = quoteColumn(c.name);
  const value = emptyIsNull ? `NULLIF(${col}, '')` : col;
  const target = c.type === 'TIMESTAMP' ? 'TIMESTAMPTZ' : c.type;
  const bad = `${value} IS NOT NULL AND TRY_CAST(${value} AS ${target}) IS NULL`;
  return `count(*) FILTER (WHERE ${bad}) AS ${quoteColumn(`n_${c.name}`.slice(0, 255))}, min(${col}) FILTER (WHERE ${bad}) AS ${quoteColumn(`e_${c.name}`.slice(0, 255))}`;
}
