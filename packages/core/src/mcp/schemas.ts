// The shapes of the AIDA MCP tools' inputs and answers (zod, so the MCP SDK turns them into the
// JSON Schemas of tools/list and checks every answer against them). Field descriptions are kept
// to a few words: every one of them is sent to the model with each tools/list (and `.int()`
// is left out for the same reason: it adds a ±2^53 range to every count).
import { z } from 'zod';
import { MCP_MAX_SQL_LENGTH } from './limits.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const cursor = z.string().min(1).max(4_000).optional().describe('The cursor of the previous page, sent alone for the next page');

/** Fields every paged answer carries. */
const paging = {
  offset: z.number().describe('Index of the first item of this page in the whole answer'),
  truncated: z.boolean().describe('More items follow: ask again with `cursor`'),
  cursor: z.string().nullable().describe('Send it back for the next page; null on the last page'),
  note: z.string().optional(),
};

export const mcpTableSummarySchema = z.object({
  id: z.string().describe('Table id: the name to use in SQL'),
  description: z.string().nullable(),
  source: z.string().nullable().describe('Where the data comes from (connector or extract)'),
  bucket: z.string().nullable(),
  rows: z.number().nullable(),
  updated: z.string().nullable().describe('When the source data was last extracted (ISO time)'),
});

export const mcpColumnSchema = z.object({
  name: z.string(),
  type: z.string().describe('DuckDB type'),
  null_pct: z.number().optional(),
  distinct_count: z.number().optional(),
  min: scalar.optional(),
  max: scalar.optional(),
  top_values: z.array(z.object({ value: z.string(), count: z.number() })).optional(),
  notes: z.array(z.string()).optional().describe('Notable facts: unique, mostly null, its few values…'),
});

export const mcpTableDescriptionSchema = mcpTableSummarySchema.extend({
  synced_at: z.string().nullable().describe('When this copy was synced (laptop); null on the server'),
  columns: z.array(mcpColumnSchema),
  profile: z
    .object({
      profiled_at: z.string(),
      sampled: z.boolean(),
      stale: z.boolean().describe('The data changed since the profile was computed'),
      alerts: z.array(z.object({ column: z.string(), type: z.string(), message: z.string() })),
    })
    .nullable()
    .describe('Column statistics, when a profile has been computed'),
});

export const mcpListTablesInput = z.object({
  source: z.string().optional().describe('Only tables of this source'),
  bucket: z.string().optional().describe('Only tables of this bucket'),
  text: z.string().optional().describe('Words that must all appear in the id or description'),
  cursor,
});

export const mcpListTablesOutput = z.object({
  tables: z.array(mcpTableSummarySchema),
  count: z.number().describe('Tables on this page'),
  total: z.number().describe('Tables matching the filters'),
  ...paging,
});

export const mcpDescribeTableInput = z.object({
  table: z.string().min(1).max(300).describe('Table id, as list_tables shows it'),
});

export const mcpDescribeTableOutput = mcpTableDescriptionSchema;

export const mcpSearchCatalogInput = z.object({
  text: z.string().min(1).max(500).describe('Words to look for in table ids, descriptions and column names'),
  cursor,
});

export const mcpSearchMatchSchema = z.object({
  table: z.string(),
  column: z.string().nullable().describe('The matching column; null when the table itself matches'),
  type: z.string().nullable(),
  description: z.string().nullable().describe("The table's description"),
});

export const mcpSearchCatalogOutput = z.object({
  matches: z.array(mcpSearchMatchSchema).describe('Best matches first'),
  count: z.number(),
  total: z.number(),
  ...paging,
});

export const mcpQueryInput = z.object({
  sql: z.string().min(1).max(MCP_MAX_SQL_LENGTH).optional().describe('One read-only SELECT (DuckDB SQL; WITH, VALUES, DESCRIBE are fine)'),
  cursor,
});

export const mcpQueryOutput = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.array(z.unknown())).describe('One array of values per row, in column order'),
  row_count: z.number().describe('Rows on this page'),
  total_rows: z.number().nullable().describe('Rows in the whole result'),
  ...paging,
});

export type McpTableSummary = z.infer<typeof mcpTableSummarySchema>;
export type McpColumn = z.infer<typeof mcpColumnSchema>;
export type McpTableDescription = z.infer<typeof mcpTableDescriptionSchema>;
export type McpListTablesInput = z.infer<typeof mcpListTablesInput>;
export type McpListTablesOutput = z.infer<typeof mcpListTablesOutput>;
export type McpSearchMatch = z.infer<typeof mcpSearchMatchSchema>;
export type McpSearchCatalogOutput = z.infer<typeof mcpSearchCatalogOutput>;
export type McpQueryInput = z.infer<typeof mcpQueryInput>;
export type McpQueryOutput = z.infer<typeof mcpQueryOutput>;
