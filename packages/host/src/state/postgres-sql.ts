/**
 * The host's SQL is written once, in the dialect DuckDB and PostgreSQL share. What differs is
 * translated here, in one place: `?` parameters become `$1, $2, …`, and in migrations the two
 * column types DuckDB names differently (DOUBLE, BLOB) take PostgreSQL's names.
 */
const translated = new Map<string, string>();
const MAX_CACHED = 2000;

/** `?` outside quotes and comments → `$n`; statements are cached, since the same few recur. */
export function toPostgresSql(sql: string): string {
  const hit = translated.get(sql);
  if (hit !== undefined) return hit;
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = closing(sql, i, c);
      out += sql.slice(i, end + 1);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  if (translated.size >= MAX_CACHED) translated.clear();
  translated.set(sql, out);
  return out;
}

/** Index of the quote closing the literal or identifier opened at `start` (a doubled quote escapes). */
function closing(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] !== quote) continue;
    if (sql[i + 1] === quote) i++;
    else return i;
  }
  return sql.length - 1;
}

/** A migration's DDL with DuckDB's type names replaced by PostgreSQL's. */
export function toPostgresDdl(sql: string): string {
  return sql.replace(/\bDOUBLE\b(?!\s+PRECISION)/gi, 'DOUBLE PRECISION').replace(/\bBLOB\b/gi, 'BYTEA');
}
