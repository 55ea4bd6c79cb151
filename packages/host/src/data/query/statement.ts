import type { DuckDBConnection } from '@duckdb/node-api';
import { InputError } from '@aida/core';
import { QueryEmptyError, QueryForbiddenFunctionError, QueryForbiddenReferenceError, QueryInvalidError, QueryMultipleStatementsError, QueryNotSelectError, QueryParametersError, QuerySyntaxError, QueryTooComplexError, QueryTooLongError, QueryUnsupportedError } from '../../errors.js';
import { ALLOWED_TABLE_FUNCTIONS, DENIED_FUNCTIONS, isAllowedFunction } from './functions.js';

/**
 * The statement check of the query API. DuckDB parses the text itself (`json_serialize_sql`),
 * which refuses anything but SELECT statements; this module then walks the whole parse tree:
 * exactly one statement, every base-table reference collected (CTE names shadow tables only
 * inside their scope), table functions, catalog/schema-qualified names and functions outside
 * the allow-list rejected, and any node kind it does not know rejected too (fail closed).
 *
 * This is one of two layers: the analytics instance itself is read-only, has external access
 * off except the extracts folder, and its configuration locked (see analytics-db.ts).
 */

/** Longest SQL text accepted (characters). */
export const MAX_SQL_LENGTH = 100_000;
/** Deepest parse tree accepted (JSON nesting levels); DuckDB's own expression depth limit is 1000. */
const MAX_TREE_DEPTH = 5_000;

const QUERY_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE', 'CTE_NODE']);
const TABLE_REFS = new Set(['BASE_TABLE', 'JOIN', 'SUBQUERY', 'TABLE_FUNCTION', 'EXPRESSION_LIST', 'EMPTY', 'PIVOT', 'SHOW_REF']);
const EXPRESSIONS = new Set([
  'BETWEEN', 'CASE', 'CAST', 'COLLATE', 'COLUMN_REF', 'COMPARISON', 'CONJUNCTION', 'CONSTANT', 'DEFAULT', 'FUNCTION',
  'LAMBDA', 'LAMBDA_REF', 'OPERATOR', 'PARAMETER', 'POSITIONAL_REFERENCE', 'STAR', 'SUBQUERY', 'WINDOW',
]);

/** A statement that passed the check. */
export interface CheckedStatement {
  /** The statement's query node, as DuckDB serialized it. */
  node: Record<string, unknown>;
  /** Base tables it reads, as written (deduplicated case-insensitively), CTE names excluded. */
  tables: string[];
}

type Json = Record<string, unknown>;

/** DuckDB's parse of `sql` (one JSON document; parse errors are inside it, not thrown). */
export async function serializeSql(conn: DuckDBConnection, sql: string): Promise<Json> {
  const reader = await conn.runAndReadAll('SELECT json_serialize_sql(?::VARCHAR)', [sql]);
  return JSON.parse(String(reader.getRows()[0][0])) as Json;
}

/** Checks the length before anything is sent to the engine. */
export function assertSqlSize(sql: string): void {
  if (!sql.trim()) throw new QueryEmptyError('sql is empty: send one SELECT statement');
  if (sql.length > MAX_SQL_LENGTH) {
    throw new QueryTooLongError(`sql is ${sql.length} characters long; at most ${MAX_SQL_LENGTH} are accepted`, { detail: { max: MAX_SQL_LENGTH } });
  }
}

/** Parses and checks `sql`; throws a 400 InputError explaining what is not allowed. */
export async function checkStatement(conn: DuckDBConnection, sql: string): Promise<CheckedStatement> {
  assertSqlSize(sql);
  return checkSerialized(await serializeSql(conn, sql), sql);
}

/** The check on an already serialized statement (pure; exported for tests). */
export function checkSerialized(doc: Json, sql = ''): CheckedStatement {
  if (doc.error) throw parseFailure(doc, sql);
  const statements = doc.statements;
  if (!Array.isArray(statements)) throw unsupported('the parser returned no statement list');
  if (statements.length === 0) throw new QueryEmptyError('sql holds no statement (only whitespace or comments): send one SELECT statement');
  if (statements.length > 1) {
    throw new QueryMultipleStatementsError(`sql holds ${statements.length} statements; send exactly one SELECT statement (no ';' between statements)`, {
      detail: { statements: statements.length },
    });
  }
  const statement = statements[0] as Json;
  const node = statement.node as Json | undefined;
  if (!node || typeof node !== 'object' || !['SELECT_NODE', 'SET_OPERATION_NODE'].includes(String(node.type))) {
    throw notSelect(sql);
  }
  const params = statement.named_param_map;
  if (Array.isArray(params) && params.length) {
    throw new QueryParametersError('Query parameters ($name, ?) are not supported: write the values into the SQL');
  }
  const walker = new TreeWalker();
  try {
    walker.visit(node, EMPTY_SCOPE, 0);
  } catch (e) {
    if (e instanceof RangeError) throw tooComplex(); // the JS stack ran out before the depth limit
    throw e;
  }
  return { node, tables: [...walker.tables.values()] };
}

/** Removes `query_location` (positions in the text) so two parses of the same query compare equal. */
export function withoutLocations(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutLocations);
  if (v && typeof v === 'object') {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'query_location') out[k] = withoutLocations(x);
    return out;
  }
  return v;
}

/** Structural equality of two JSON values. */
export function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as Json);
  const kb = Object.keys(b as Json);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameTree((a as Json)[k], (b as Json)[k]));
}

/** CTE names visible at a point of the tree (lower case: DuckDB matches CTE names case-insensitively). */
type Scope = ReadonlySet<string>;
const EMPTY_SCOPE: Scope = new Set();
function withName(scope: Scope, name: unknown): Scope {
  if (typeof name !== 'string' || !name) throw unsupported('a CTE without a name');
  return new Set([...scope, name.toLowerCase()]);
}

class TreeWalker {
  /** lower-case name → name as written. */
  readonly tables = new Map<string, string>();

  visit(v: unknown, scope: Scope, depth: number): void {
    if (depth > MAX_TREE_DEPTH) throw tooComplex();
    if (Array.isArray(v)) {
      for (const x of v) this.visit(x, scope, depth + 1);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const o = v as Json;
    if ('cte_map' in o) return this.queryNode(o, scope, depth);
    if ('class' in o) return this.expression(o, scope, depth);
    if (typeof o.type === 'string' && 'alias' in o && 'sample' in o) return this.tableRef(o, scope, depth);
    // Anything else naming a table or a function is a shape this check does not know: refuse it.
    if ('table_name' in o || 'function_name' in o) throw unsupported(`a ${String(o.type ?? 'node')} reference`);
    this.children(o, scope, depth, []);
  }

  private children(o: Json, scope: Scope, depth: number, skip: string[]): void {
    for (const [k, x] of Object.entries(o)) if (!skip.includes(k)) this.visit(x, scope, depth + 1);
  }

  /** SELECT / set operation / recursive CTE node: its WITH clause opens a scope. */
  private queryNode(o: Json, outer: Scope, depth: number): void {
    const type = String(o.type);
    if (!QUERY_NODES.has(type)) throw unsupported(`a ${type} query`);
    const map = (o.cte_map as Json | null)?.map;
    if (!Array.isArray(map)) throw unsupported('a WITH clause of unknown shape');
    // Each CTE sees the ones before it (not itself, not later ones); the body sees them all.
    let scope = outer;
    for (const entry of map as Json[]) {
      this.visit(entry.value, scope, depth + 1);
      scope = withName(scope, entry.key);
    }
    if (type === 'RECURSIVE_CTE_NODE') {
      // `WITH RECURSIVE t AS (left UNION right)`: only the recursive part refers to itself.
      this.visit(o.left, scope, depth + 1);
      this.visit(o.right, withName(scope, o.cte_name), depth + 1);
      this.children(o, scope, depth, ['cte_map', 'left', 'right']);
    } else if (type === 'CTE_NODE') {
      this.visit(o.query, scope, depth + 1);
      this.visit(o.child, withName(scope, o.cte_name), depth + 1);
      this.children(o, scope, depth, ['cte_map', 'query', 'child']);
    } else {
      this.children(o, scope, depth, ['cte_map']);
    }
  }

  private expression(o: Json, scope: Scope, depth: number): void {
    const cls = String(o.class);
    if (!EXPRESSIONS.has(cls)) throw unsupported(`a ${cls} expression`);
    if (cls === 'FUNCTION' || cls === 'WINDOW') checkFunction(o);
    this.children(o, scope, depth, []);
  }

  private tableRef(o: Json, scope: Scope, depth: number): void {
    const type = String(o.type);
    if (!TABLE_REFS.has(type)) throw unsupported(`a ${type} in FROM`);
    switch (type) {
      case 'BASE_TABLE':
        this.baseTable(o, scope);
        this.children(o, scope, depth, ['table_name', 'schema_name', 'catalog_name']);
        return;
      case 'TABLE_FUNCTION': {
        const fn = o.function as Json | null;
        if (!fn || fn.class !== 'FUNCTION') throw unsupported('a table function of unknown shape');
        const name = String(fn.function_name).toLowerCase();
        if (fn.catalog || fn.schema || !ALLOWED_TABLE_FUNCTIONS.has(name)) {
          throw new QueryForbiddenFunctionError(
            `Table function ${qualified(fn.catalog, fn.schema, fn.function_name)}() is not allowed: queries may read only the tables of the analytics database (the only table functions allowed are ${[...ALLOWED_TABLE_FUNCTIONS].join(', ')})`,
            { detail: { function: String(fn.function_name), kind: 'table' } },
          );
        }
        // Its arguments are expressions like any other (they may hold subqueries).
        this.children(fn, scope, depth, ['function_name', 'schema', 'catalog']);
        this.children(o, scope, depth, ['function']);
        return;
      }
      case 'SHOW_REF':
        // DESCRIBE/SUMMARIZE <table or query> carry the query they describe; SHOW TABLES and the
        // like read the catalog and are refused.
        if (!['DESCRIBE', 'SUMMARY'].includes(String(o.show_type)) || !o.query || o.table_name) {
          throw new QueryUnsupportedError('SHOW and catalog listings are not supported; DESCRIBE <table>, DESCRIBE SELECT … and SUMMARIZE <table> are', {
            detail: { construct: String(o.show_type) },
          });
        }
        this.visit(o.query, scope, depth + 1);
        return;
      default:
        this.children(o, scope, depth, []);
    }
  }

  private baseTable(o: Json, scope: Scope): void {
    const name = String(o.table_name ?? '');
    const schema = String(o.schema_name ?? '');
    const catalog = String(o.catalog_name ?? '');
    if (!name) throw unsupported('a table reference without a name');
    // Only an unqualified name can mean a CTE (`main.x` is always the table x).
    if (!schema && !catalog && scope.has(name.toLowerCase())) return;
    if (catalog || (schema && schema.toLowerCase() !== 'main')) {
      throw new QueryForbiddenReferenceError(
        `Table ${qualified(catalog, schema, name)} is not allowed: queries may read only the tables of the analytics database, named without a catalog or schema (or as main.<table>)`,
        { detail: { table: name, schema: schema || null, catalog: catalog || null } },
      );
    }
    if (!this.tables.has(name.toLowerCase())) this.tables.set(name.toLowerCase(), name);
  }
}

function checkFunction(o: Json): void {
  const name = String(o.function_name ?? '');
  const schema = String(o.schema ?? '');
  const catalog = String(o.catalog ?? '');
  const reason = DENIED_FUNCTIONS[name.toLowerCase()];
  if (!isAllowedFunction(name) || reason) {
    throw new QueryForbiddenFunctionError(`Function ${name}() is not allowed in queries${reason ? ` (${reason})` : ''}`, {
      detail: { function: name, kind: 'scalar' },
    });
  }
  if (catalog || (schema && !['main', 'pg_catalog'].includes(schema.toLowerCase()))) {
    throw new QueryForbiddenFunctionError(`Function ${qualified(catalog, schema, name)}() is not allowed: call functions by their name alone (${name}(x), not x.${name}())`, {
      detail: { function: name, schema: schema || null, catalog: catalog || null, kind: 'scalar' },
    });
  }
}

function qualified(...parts: unknown[]): string {
  return parts.filter((p) => typeof p === 'string' && p).join('.');
}

function tooComplex(): InputError {
  return new QueryTooComplexError('The statement is nested too deeply to be checked; simplify it');
}

function unsupported(what: string): InputError {
  return new QueryUnsupportedError(`The query API does not support ${what}; rewrite the query as a plain SELECT over the analytics tables`, {
    detail: { construct: what },
  });
}

function parseFailure(doc: Json, sql: string): InputError {
  const message = String(doc.error_message ?? 'unknown error');
  if (doc.error_type === 'not implemented' && /Only SELECT statements/i.test(message)) return notSelect(sql);
  if (doc.error_type === 'parser') {
    const position = doc.position === undefined ? null : Number(doc.position);
    return new QuerySyntaxError(`SQL syntax error: ${message}${position === null ? '' : ` (at character ${position + 1})`}`, {
      detail: { position, engine_message: message },
    });
  }
  return new QueryInvalidError(`The statement was rejected by the SQL parser: ${message}`, { detail: { engine_message: message } });
}

function notSelect(sql: string): InputError {
  const keyword = firstKeyword(sql);
  const starts = keyword && !['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', '('].includes(keyword) ? ` (this one starts with ${keyword})` : '';
  return new QueryNotSelectError(
    `Only a single read-only SELECT statement is allowed (WITH … SELECT, UNION, VALUES and FROM-first queries are fine); INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, COPY, ATTACH, PRAGMA, SET, INSTALL, LOAD, CALL, EXPORT and similar statements are refused${starts}`,
    { detail: { statement: keyword || null } },
  );
}

/**
 * The first word of the text, skipping comments — only to word the error message; the
 * decision itself is DuckDB's.
 */
function firstKeyword(sql: string): string {
  const rest = sql.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  if (rest.startsWith('(')) return '(';
  return (/^[A-Za-z_]+/.exec(rest)?.[0] ?? '').toUpperCase();
}
