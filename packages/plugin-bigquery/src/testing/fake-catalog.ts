// The fake's datasets and tables. A table's rows live in a row source: the fixture's rows as
// cells (replaced, never edited, on change, so a query's result keeps the rows it saw), or a
// generator that makes each cell on demand, so a million-row table costs no memory.
import { BigQueryError } from './fake-errors.js';
import type { AddDatasetOptions, FakeRow, FakeTableHandle, FakeTableType, FakeTimePartitioning, FakeValue, GeneratedColumn } from './fake-model.js';
import { cellBytes } from './fake-cells.js';
import { fieldCell, rowCells, trustedConverter, type Cell, type Field } from './fake-schema.js';

/** A table's rows, addressed by row index and column position. */
export interface RowSource {
  readonly count: number;
  cell(row: number, column: number): Cell;
}

class StoredRows implements RowSource {
  constructor(readonly rows: readonly (readonly Cell[])[]) {}
  get count(): number {
    return this.rows.length;
  }
  cell(row: number, column: number): Cell {
    return this.rows[row][column];
  }
}

/** Rows of a generated table checked strictly when it is added; the rest are converted on trust. */
const CHECKED_ROWS = 1000;

class GeneratedRows implements RowSource {
  private readonly convert: ((v: FakeValue) => Cell)[];

  constructor(
    readonly count: number,
    fields: readonly Field[],
    private readonly columns: readonly GeneratedColumn[],
  ) {
    for (let row = 0; row < Math.min(count, CHECKED_ROWS); row++) {
      fields.forEach((f, c) => fieldCell(f, columns[c].value(row), `generated ${f.name}[${row}]`));
    }
    this.convert = fields.map(trustedConverter);
  }

  cell(row: number, column: number): Cell {
    return this.convert[column](this.columns[column].value(row));
  }
}

/** Rows sampled to estimate a generated table's size. */
const SIZE_SAMPLE = 1000;

export class StoredDataset {
  readonly tables = new Map<string, StoredTable>();
  readonly creationTime = Date.now();
  lastModifiedTime = this.creationTime;
  constructor(
    readonly projectId: string,
    readonly datasetId: string,
    readonly location: string,
    readonly options: AddDatasetOptions,
  ) {}
}

export interface TableMeta {
  type: FakeTableType;
  timePartitioning?: FakeTimePartitioning;
  numBytes?: number;
  description?: string;
  labels?: Record<string, string>;
  viewQuery?: string;
}

export class StoredTable implements FakeTableHandle {
  readonly creationTime = Date.now();
  lastModifiedTime = this.creationTime;
  private fixtureRows: FakeRow[] = [];
  private sizes: number[] | null = null;
  source: RowSource;

  constructor(
    readonly dataset: StoredDataset,
    readonly tableId: string,
    readonly fields: readonly Field[],
    readonly meta: TableMeta,
    rows: FakeRow[] | { count: number; columns: readonly GeneratedColumn[] },
  ) {
    if (Array.isArray(rows)) {
      this.source = new StoredRows([]);
      this.replace(rows);
    } else {
      this.source = new GeneratedRows(rows.count, fields, rows.columns);
    }
    if (meta.timePartitioning?.field && !fields.some((f) => f.name === meta.timePartitioning!.field)) {
      throw new Error(`${this.qualifiedId}: the partitioning column ${meta.timePartitioning.field} is not in the schema`);
    }
  }

  get projectId(): string {
    return this.dataset.projectId;
  }
  get datasetId(): string {
    return this.dataset.datasetId;
  }
  get numRows(): number {
    return this.source.count;
  }
  /** `project:dataset.table`, as BigQuery names a table in ids and messages. */
  get qualifiedId(): string {
    return `${this.projectId}:${this.datasetId}.${this.tableId}`;
  }

  rows(): FakeRow[] {
    return [...this.fixtureRows];
  }

  insert(rows: FakeRow[]): void {
    this.replace([...this.fixtureRows, ...rows]);
  }

  replace(rows: FakeRow[]): void {
    if (this.source instanceof GeneratedRows) throw new Error(`${this.qualifiedId} is generated; its rows cannot be changed`);
    const cells = rows.map((r, i) => rowCells(this.fields, r, `${this.qualifiedId} row ${i}`));
    this.fixtureRows = [...rows];
    this.source = new StoredRows(cells);
    this.sizes = null;
    this.lastModifiedTime = Date.now();
  }

  /** Bytes per top-level column: estimated from the rows, scaled to `numBytes` when the fixture gives one. */
  columnBytes(): number[] {
    if (!this.sizes) {
      const estimate = this.estimateColumnBytes();
      const total = estimate.reduce((a, b) => a + b, 0);
      const wanted = this.meta.numBytes;
      this.sizes =
        wanted === undefined
          ? estimate
          : total > 0
            ? estimate.map((b) => Math.round((b * wanted) / total))
            : estimate.map(() => Math.round(wanted / estimate.length));
    }
    return this.sizes;
  }

  numBytes(): number {
    return this.meta.numBytes ?? this.columnBytes().reduce((a, b) => a + b, 0);
  }

  private estimateColumnBytes(): number[] {
    const { count } = this.source;
    const sampled = this.source instanceof GeneratedRows && count > SIZE_SAMPLE;
    const n = sampled ? SIZE_SAMPLE : count;
    const sums = this.fields.map(() => 0);
    for (let k = 0; k < n; k++) {
      const row = sampled ? Math.floor((k * count) / n) : k;
      this.fields.forEach((f, c) => (sums[c] += cellBytes(f, this.source.cell(row, c))));
    }
    return sampled ? sums.map((s) => Math.round((s * count) / n)) : sums;
  }
}

export class Catalog {
  private readonly datasets = new Map<string, StoredDataset>();

  constructor(
    readonly projectId: string,
    readonly location: string,
  ) {}

  addDataset(datasetId: string, options: AddDatasetOptions = {}): StoredDataset {
    if (!/^[A-Za-z0-9_]{1,1024}$/.test(datasetId)) throw new Error(`invalid dataset id ${datasetId}: letters, digits and underscores only`);
    const projectId = options.projectId ?? this.projectId;
    const key = `${projectId}:${datasetId}`;
    if (this.datasets.has(key)) throw new Error(`dataset ${key} already exists`);
    const ds = new StoredDataset(projectId, datasetId, options.location ?? this.location, options);
    this.datasets.set(key, ds);
    return ds;
  }

  /** The seeding side: a fixture naming a missing dataset is a test's mistake, not a 404. */
  seedTarget(projectId: string | undefined, datasetId: string, tableId: string): StoredDataset {
    const ds = this.datasets.get(`${projectId ?? this.projectId}:${datasetId}`);
    if (!ds) throw new Error(`add the dataset ${datasetId} before its tables`);
    if (!/^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]{1,1024}$/u.test(tableId)) throw new Error(`invalid table id ${tableId}`);
    if (ds.tables.has(tableId)) throw new Error(`table ${datasetId}.${tableId} already exists`);
    return ds;
  }

  findDataset(projectId: string, datasetId: string): StoredDataset | undefined {
    return this.datasets.get(`${projectId}:${datasetId}`);
  }

  dataset(projectId: string, datasetId: string): StoredDataset {
    const ds = this.findDataset(projectId, datasetId);
    if (!ds) throw BigQueryError.notFound(`Not found: Dataset ${projectId}:${datasetId}`);
    return ds;
  }

  table(projectId: string, datasetId: string, tableId: string): StoredTable {
    const t = this.dataset(projectId, datasetId).tables.get(tableId);
    if (!t) throw BigQueryError.notFound(`Not found: Table ${projectId}:${datasetId}.${tableId}`);
    return t;
  }

  datasetsOf(projectId: string): StoredDataset[] {
    return [...this.datasets.values()].filter((d) => d.projectId === projectId).sort((a, b) => a.datasetId.localeCompare(b.datasetId));
  }
}
