// A parsed SELECT against the catalog: name resolution (table path, default dataset, job
// location, case-insensitive columns), what it would cost, and its result. Bytes processed are
// BigQuery's rule for an unpartitioned, unclustered table: the full size of every column the
// query names anywhere (LIMIT and WHERE do not reduce it; `SELECT COUNT(*)` alone reads
// nothing); bytes billed round that up to whole MiB with a 10 MiB minimum per table.
import { BigQueryError } from './fake-errors.js';
import type { Catalog, RowSource, StoredTable } from './fake-catalog.js';
import { compareCells, isOrderable } from './fake-cells.js';
import { compilePredicate, sqlTypeName, type ParameterSet } from './fake-operands.js';
import type { Cell, Field } from './fake-schema.js';
import { parseSelect, type ColumnRef, type SelectPlan } from './fake-sql.js';

const MIB = 1024 * 1024;
const MIN_BILLED = 10 * MIB;

export interface QueryContext {
  catalog: Catalog;
  /** The project the job runs in (the request path's project). */
  jobProjectId: string;
  defaultDataset?: { projectId?: string; datasetId?: string };
  /** The location the request names; a table elsewhere is not found, as in BigQuery. */
  location?: string;
  params: ParameterSet;
}

/** What a query reads and returns, known without running it (all a dry run needs). */
export interface QueryAnalysis {
  plan: SelectPlan;
  table: StoredTable;
  fields: Field[];
  /** Source column of each output field (empty for COUNT(*)). */
  columns: number[];
  filters: { column: number; test: (cell: Cell) => boolean }[];
  order: { column: number; field: Field; desc: boolean; nullsFirst: boolean }[];
  bytesProcessed: number;
  bytesBilled: number;
}

/** A query's rows, read by position (cells come from the table as it was when the query ran). */
export interface QueryResult {
  fields: Field[];
  total: number;
  cellsAt(position: number): Cell[];
}

/** Parses, resolves and type-checks a query, and prices it; every refusal a run would meet happens here. */
export function analyse(sql: string, ctx: QueryContext): QueryAnalysis {
  const plan = parseSelect(sql);
  const table = resolveTable(plan, ctx);
  const lookup = (ref: ColumnRef): number => {
    const i = table.fields.findIndex((f) => sameName(f.name, ref.name));
    if (i < 0) throw BigQueryError.invalidQuery(`Unrecognized name: ${ref.name} at ${ref.at}`);
    return i;
  };
  let fields: Field[] = [];
  let columns: number[] = [];
  if (plan.select.kind === 'star') {
    columns = table.fields.map((_, i) => i);
    fields = [...table.fields];
  } else if (plan.select.kind === 'count') {
    fields = [{ name: plan.select.alias, type: 'INTEGER', mode: 'NULLABLE' }];
  } else {
    for (const item of plan.select.items) {
      const c = lookup(item.column);
      columns.push(c);
      fields.push(item.alias ? { ...table.fields[c], name: item.alias } : table.fields[c]);
    }
    const names = fields.map((f) => f.name.toLowerCase());
    const dup = names.filter((n, i) => names.indexOf(n) !== i);
    if (dup.length)
      throw BigQueryError.invalidQuery(`Duplicate column names in the result are not supported. Found duplicate(s): ${[...new Set(dup)].join(', ')}`);
  }
  const filters = plan.where.map((cond) => {
    const column = lookup(cond.column);
    const f = table.fields[column];
    if (cond.kind === 'isNull') {
      // Arrays are never NULL in BigQuery (a NULL array reads as empty).
      return { column, test: (cell: Cell) => (f.mode !== 'REPEATED' && cell === null) !== cond.negated };
    }
    if (!isOrderable(f)) throw BigQueryError.invalidQuery(`No matching signature for operator ${cond.op} for argument types: ${sqlTypeName(f)} at ${cond.at}`);
    return { column, test: compilePredicate(f, cond.op, cond.operand, ctx.params, cond.at) };
  });
  if (plan.select.kind === 'count' && plan.orderBy.length) throw BigQueryError.invalidQuery('The fake does not support ORDER BY in a COUNT(*) query');
  const order = plan.orderBy.map((o) => {
    // ORDER BY names an output alias first, then a table column.
    const out = plan.select.kind === 'columns' ? fields.findIndex((f) => sameName(f.name, o.column.name)) : -1;
    const column = out >= 0 ? columns[out] : lookup(o.column);
    const field = table.fields[column];
    if (!isOrderable(field)) throw BigQueryError.invalidQuery(`ORDER BY does not support expressions of type ${sqlTypeName(field)} at ${o.column.at}`);
    return { column, field, desc: o.desc, nullsFirst: o.nullsFirst };
  });
  const read = new Set([...columns, ...filters.map((f) => f.column), ...order.map((o) => o.column)]);
  const sizes = table.columnBytes();
  const bytesProcessed = [...read].reduce((n, c) => n + sizes[c], 0);
  const bytesBilled = bytesProcessed === 0 ? 0 : Math.max(MIN_BILLED, Math.ceil(bytesProcessed / MIB) * MIB);
  return { plan, table, fields, columns, filters, order, bytesProcessed, bytesBilled };
}

/** Runs an analysed query over the table's current rows. */
export function execute(a: QueryAnalysis): QueryResult {
  const { plan } = a;
  const source = a.table.source;
  let rows: number[] | null = null;
  if (a.filters.length) {
    rows = [];
    for (let r = 0; r < source.count; r++) if (a.filters.every((f) => f.test(source.cell(r, f.column)))) rows.push(r);
  }
  const matched = rows ? rows.length : source.count;
  if (plan.select.kind === 'count') return { fields: a.fields, total: 1, cellsAt: () => [BigInt(matched)] };
  if (a.order.length) rows = sorted(rows ?? Array.from({ length: source.count }, (_, i) => i), a.order, source);
  const offset = Math.min(plan.offset ?? 0, matched);
  const total = Math.max(0, Math.min(matched - offset, plan.limit ?? Infinity));
  const order = rows;
  return {
    fields: a.fields,
    total,
    cellsAt: (p) => {
      const row = order ? order[offset + p] : offset + p;
      return a.columns.map((c) => source.cell(row, c));
    },
  };
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function resolveTable(plan: SelectPlan, ctx: QueryContext): StoredTable {
  const { parts } = plan.table;
  let projectId: string;
  let datasetId: string;
  if (parts.length === 3) [projectId, datasetId] = parts;
  else if (parts.length === 2) [projectId, datasetId] = [ctx.jobProjectId, parts[0]];
  else if (ctx.defaultDataset?.datasetId) [projectId, datasetId] = [ctx.defaultDataset.projectId ?? ctx.jobProjectId, ctx.defaultDataset.datasetId];
  else throw BigQueryError.invalid(`Table "${parts[0]}" must be qualified with a dataset (e.g. dataset.table).`);
  const tableId = parts[parts.length - 1];
  const where = ctx.location ? ` was not found in location ${ctx.location}` : '';
  const dataset = ctx.catalog.findDataset(projectId, datasetId);
  if (!dataset || (ctx.location && ctx.location.toUpperCase() !== dataset.location.toUpperCase())) {
    throw BigQueryError.notFound(`Not found: Dataset ${projectId}:${datasetId}${where}`);
  }
  const table = dataset.tables.get(tableId);
  if (!table) throw BigQueryError.notFound(`Not found: Table ${projectId}:${datasetId}.${tableId}${where}`);
  return table;
}

/** Row indices in ORDER BY order (stable: rows equal on every key keep the table's order). */
function sorted(rows: number[], order: QueryAnalysis['order'], source: RowSource): number[] {
  const keys = order.map((o) => ({ ...o, values: rows.map((r) => source.cell(r, o.column)) }));
  const positions = rows.map((_, k) => k);
  positions.sort((x, y) => {
    for (const k of keys) {
      const a = k.values[x];
      const b = k.values[y];
      if (a === null || b === null) {
        if (a === b) continue;
        return (a === null) === k.nullsFirst ? -1 : 1;
      }
      const c = compareCells(k.field.type, a, b);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  });
  return positions.map((k) => rows[k]);
}
