// The BigQuery REST v2 resources the connector reads, as zod schemas of the fields it uses
// (https://cloud.google.com/bigquery/docs/reference/rest/v2): an answer that does not match is
// a malformed answer, reported as such, not a crash further on. Rows are checked per page, not
// per cell (f/v decoding in rows.ts is shaped by the schema).
import { z } from 'zod';

/** int64 and uint64 fields arrive as decimal strings. */
const int64 = z.union([z.string().regex(/^-?\d+$/), z.number().int()]).transform(Number);

export interface TableField {
  name: string;
  /** Legacy and standard names: INTEGER/INT64, FLOAT/FLOAT64, BOOLEAN/BOOL, RECORD/STRUCT… */
  type: string;
  mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  fields?: TableField[];
  description?: string;
  precision?: number;
  scale?: number;
}

export const tableFieldSchema: z.ZodType<TableField> = z.lazy(() =>
  z.object({
    name: z.string(),
    type: z.string().transform((t) => t.toUpperCase()),
    mode: z.enum(['NULLABLE', 'REQUIRED', 'REPEATED']).optional(),
    fields: z.array(tableFieldSchema).optional(),
    description: z.string().optional(),
    precision: int64.optional(),
    scale: int64.optional(),
  }),
) as z.ZodType<TableField>;

export const tableSchemaSchema = z.object({ fields: z.array(tableFieldSchema).default([]) });

export const tableReferenceSchema = z.object({ projectId: z.string(), datasetId: z.string(), tableId: z.string() });
export type TableReference = z.output<typeof tableReferenceSchema>;

export const tableResourceSchema = z.object({
  tableReference: tableReferenceSchema,
  /** TABLE, VIEW, MATERIALIZED_VIEW, EXTERNAL, SNAPSHOT. */
  type: z.string().default('TABLE'),
  description: z.string().optional(),
  schema: tableSchemaSchema.optional(),
  numRows: int64.optional(),
  numBytes: int64.optional(),
  lastModifiedTime: int64.optional(),
  location: z.string().optional(),
  timePartitioning: z.object({ type: z.string(), field: z.string().optional(), expirationMs: int64.optional() }).optional(),
  rangePartitioning: z.object({ field: z.string() }).optional(),
  clustering: z.object({ fields: z.array(z.string()) }).optional(),
  tableConstraints: z.object({ primaryKey: z.object({ columns: z.array(z.string()) }).optional() }).optional(),
});
export type TableResource = z.output<typeof tableResourceSchema>;

export const tableListSchema = z.object({
  tables: z.array(z.object({ tableReference: tableReferenceSchema, type: z.string().optional() })).default([]),
  nextPageToken: z.string().optional(),
});

export const errorItemSchema = z.object({ reason: z.string().optional(), message: z.string().optional(), location: z.string().optional() });

export const jobReferenceSchema = z.object({ projectId: z.string(), jobId: z.string(), location: z.string().optional() });
export type JobReference = z.output<typeof jobReferenceSchema>;

export const jobSchema = z.object({
  jobReference: jobReferenceSchema.partial().optional(),
  status: z.object({ state: z.string().optional(), errorResult: errorItemSchema.optional(), errors: z.array(errorItemSchema).optional() }).default({}),
  statistics: z
    .object({
      totalBytesProcessed: int64.optional(),
      query: z
        .object({
          totalBytesProcessed: int64.optional(),
          totalBytesBilled: int64.optional(),
          referencedTables: z.array(tableReferenceSchema).optional(),
          statementType: z.string().optional(),
          schema: tableSchemaSchema.optional(),
        })
        .optional(),
    })
    .default({}),
});
export type Job = z.output<typeof jobSchema>;

/** One cell: `v` is a string, null, `{ f: Cell[] }` (STRUCT) or `Cell[]` (REPEATED). */
export interface Cell {
  v: unknown;
}
export interface Row {
  f: Cell[];
}

export const queryResultsSchema = z.object({
  jobReference: jobReferenceSchema.partial().optional(),
  jobComplete: z.boolean().default(true),
  schema: tableSchemaSchema.optional(),
  totalRows: int64.optional(),
  pageToken: z.string().optional(),
  rows: z.custom<Row[]>((v) => Array.isArray(v), 'rows must be a list').optional(),
  totalBytesProcessed: int64.optional(),
});
export type QueryResults = z.output<typeof queryResultsSchema>;
