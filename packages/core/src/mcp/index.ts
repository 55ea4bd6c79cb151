// The AIDA MCP tools, defined once for both servers (`da mcp` on the laptop, /mcp in the host):
// names, descriptions, schemas and annotations; the answer budget and paging rules; the
// refusals; profile facts, catalog search and the table resource's markdown.
export { MCP_TOOLS, MCP_TABLE_RESOURCE, type McpToolAnnotations, type McpToolDefinition, type McpToolName } from './tools.js';
export {
  MCP_MAX_SQL_LENGTH,
  MCP_MIN_RESULT_BUDGET_CHARS,
  MCP_NARROWING_HINT,
  MCP_PAGED_MAX_CHARS,
  MCP_PAGED_MAX_ROWS,
  MCP_RESULTS_KEPT,
  MCP_RESULT_BUDGET_CHARS,
  MCP_RESULT_TTL_MS,
} from './limits.js';
export {
  mcpColumnSchema,
  mcpDescribeTableInput,
  mcpDescribeTableOutput,
  mcpListTablesInput,
  mcpListTablesOutput,
  mcpQueryInput,
  mcpQueryOutput,
  mcpSearchCatalogInput,
  mcpSearchCatalogOutput,
  mcpSearchMatchSchema,
  mcpTableDescriptionSchema,
  mcpTableSummarySchema,
  type McpColumn,
  type McpListTablesInput,
  type McpListTablesOutput,
  type McpQueryInput,
  type McpQueryOutput,
  type McpSearchCatalogOutput,
  type McpSearchMatch,
  type McpTableDescription,
  type McpTableSummary,
} from './schemas.js';
export { decodeMcpCursor, encodeMcpCursor, listingKey, type McpCursor } from './cursor.js';
export { fitPage, listPage, queryPage, type FittedPage, type PageOptions, type QueryRows } from './page.js';
export { ResultPages, type ResultPagesOptions } from './result-pages.js';
export { columnsTooWide, cursorExpired, listingChanged, refusal, refusalReason, resultTooLarge, rowTooLarge, type McpRefusalReason } from './refusal.js';
export { columnNotes, describeColumn, profileSummary, tableProfileSchema, type TableProfileFacts } from './profile-facts.js';
export { filterTables, searchCatalog, searchWords, type SearchableTable, type TableFilters } from './catalog-search.js';
export { tableMarkdown } from './table-markdown.js';
