// `da mcp`'s MCP server: the read tools and the table resource, defined in @aida/core (shared
// with the host's /mcp), answered from this laptop's workspace.
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isAidaError, MCP_TABLE_RESOURCE, MCP_TOOLS, type McpToolDefinition } from '@aida/core';
import { CliError } from '../errors.js';
import { VERSION } from '../version.js';
import type { LocalTools, ToolAnswer } from './local-tools.js';
import type { McpLog } from './log.js';

const INSTRUCTIONS =
  'Tables synced to this laptop by `da sync` (AIDA), queried offline in DuckDB. Start with list_tables or search_catalog, then describe_table; ' +
  'query runs one read-only SELECT and pages big results by cursor (nothing is cut). Data is as fresh as the last da sync.';

export function createLocalMcpServer(tools: LocalTools, log: McpLog): McpServer {
  const server = new McpServer({ name: 'aida-local', title: 'AIDA (this laptop)', version: VERSION }, { instructions: INSTRUCTIONS });
  const config = (d: McpToolDefinition) => ({
    title: d.title,
    description: d.description,
    inputSchema: d.inputSchema,
    outputSchema: d.outputSchema,
    annotations: d.annotations,
  });
  const t = MCP_TOOLS;
  server.registerTool(t.list_tables.name, { ...config(t.list_tables), inputSchema: t.list_tables.inputSchema }, (args) =>
    answer(log, 'list_tables', () => tools.listTables(args)),
  );
  server.registerTool(t.describe_table.name, { ...config(t.describe_table), inputSchema: t.describe_table.inputSchema }, (args) =>
    answer(log, 'describe_table', () => tools.describeTable(args.table)),
  );
  server.registerTool(t.search_catalog.name, { ...config(t.search_catalog), inputSchema: t.search_catalog.inputSchema }, (args) =>
    answer(log, 'search_catalog', () => tools.searchCatalog(args.text, args.cursor)),
  );
  server.registerTool(t.query.name, { ...config(t.query), inputSchema: t.query.inputSchema }, (args) => answer(log, 'query', () => tools.query(args)));

  const template = new ResourceTemplate(MCP_TABLE_RESOURCE.uriTemplate, {
    list: async () => ({
      resources: (await tools.tableIds()).map((id) => ({ uri: MCP_TABLE_RESOURCE.uri(id), name: id, mimeType: MCP_TABLE_RESOURCE.mimeType })),
    }),
    complete: { name: async (prefix) => (await tools.tableIds()).filter((id) => id.startsWith(prefix.toLowerCase())).slice(0, 100) },
  });
  server.registerResource(
    MCP_TABLE_RESOURCE.name,
    template,
    { title: MCP_TABLE_RESOURCE.title, description: MCP_TABLE_RESOURCE.description, mimeType: MCP_TABLE_RESOURCE.mimeType },
    async (uri, variables) => {
      const id = decodeURIComponent(String(variables.name));
      const started = performance.now();
      try {
        const text = await tools.tableMarkdown(id);
        log.call('resource', started, `${id}`);
        return { contents: [{ uri: uri.href, mimeType: MCP_TABLE_RESOURCE.mimeType, text }] };
      } catch (e) {
        log.call('resource', started, `${id}: ${(e as Error).message}`);
        throw e;
      }
    },
  );
  return server;
}

/**
 * A tool's answer as MCP wants it: the JSON text plus the same data as structured content; a
 * failure as a tool error (isError) whose text says what went wrong and what to do.
 */
async function answer(log: McpLog, tool: string, run: () => Promise<ToolAnswer>): Promise<CallToolResult> {
  const started = performance.now();
  try {
    const a = await run();
    log.call(tool, started, `${a.text.length} chars`);
    return { content: [{ type: 'text', text: a.text }], structuredContent: a.structured as Record<string, unknown> };
  } catch (e) {
    const text = failureText(e);
    log.call(tool, started, `refused: ${text}`);
    return { isError: true, content: [{ type: 'text', text }] };
  }
}

function failureText(e: unknown): string {
  if (e instanceof CliError) return e.details.hint ? `${e.message}\nHint: ${e.details.hint}` : e.message;
  if (isAidaError(e)) return e.message;
  return `Internal error in da mcp: ${(e as Error).message}`;
}
