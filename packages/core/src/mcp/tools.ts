// The read tools both AIDA MCP servers offer, defined once: name, one-line description, input
// and output schemas, annotations. A server registers each with the SDK as
// `server.registerTool(t.name, { title, description, inputSchema, outputSchema, annotations }, handler)`.
// Descriptions stay one line: a tool list is sent to the model on every turn, and peers' long
// descriptions are a known complaint (13–45 k tokens for a large server).
import type { z } from 'zod';
import {
  mcpDescribeTableInput,
  mcpDescribeTableOutput,
  mcpListTablesInput,
  mcpListTablesOutput,
  mcpQueryInput,
  mcpQueryOutput,
  mcpSearchCatalogInput,
  mcpSearchCatalogOutput,
} from './schemas.js';

/** The MCP tool annotations (spec 2025-06-18); hints for clients, never a security boundary. */
export interface McpToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface McpToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: McpToolAnnotations;
}

/** Reads only AIDA's own catalog and data: nothing changes, asking twice answers the same. */
const READ: McpToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

function tool<I extends z.ZodObject, O extends z.ZodObject>(d: Omit<McpToolDefinition<I, O>, 'annotations'>): McpToolDefinition<I, O> {
  return { ...d, annotations: { title: d.title, ...READ } };
}

export const MCP_TOOLS = {
  list_tables: tool({
    name: 'list_tables',
    title: 'List tables',
    description: 'List the tables you can query, with row counts and freshness; filter by source, bucket or words.',
    inputSchema: mcpListTablesInput,
    outputSchema: mcpListTablesOutput,
  }),
  describe_table: tool({
    name: 'describe_table',
    title: 'Describe a table',
    description: "One table's columns and types, profile facts (keys, nulls, common values), row count and freshness.",
    inputSchema: mcpDescribeTableInput,
    outputSchema: mcpDescribeTableOutput,
  }),
  search_catalog: tool({
    name: 'search_catalog',
    title: 'Search tables and columns',
    description: 'Find tables and columns whose names or descriptions contain the given words.',
    inputSchema: mcpSearchCatalogInput,
    outputSchema: mcpSearchCatalogOutput,
  }),
  query: tool({
    name: 'query',
    title: 'Run a read-only SQL query',
    description: 'Run one read-only SELECT (DuckDB SQL). Big results come in pages, never cut: send `cursor` back for the next page.',
    inputSchema: mcpQueryInput,
    outputSchema: mcpQueryOutput,
  }),
} as const;

export type McpToolName = keyof typeof MCP_TOOLS;

/** The resource template of a table's description as markdown (schema + profile). */
export const MCP_TABLE_RESOURCE = {
  name: 'table',
  uriTemplate: 'aida://tables/{name}',
  title: 'Table schema and profile',
  description: "A table's columns, types and profile as markdown",
  mimeType: 'text/markdown',
  uri: (id: string) => `aida://tables/${encodeURIComponent(id)}`,
} as const;
