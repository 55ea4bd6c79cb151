// One MCP session's server: the shared read tools (@aida/core's MCP_TOOLS, the same names,
// descriptions and schemas as `da mcp`), the server-only tools, and the table resource. Each
// call is audited like an API call, and answers or fails as a tool result the agent can read.
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { isAidaError, MCP_TABLE_RESOURCE, MCP_TOOLS, NotAllowedError, type McpToolDefinition, type RequestUser, type Role } from '@aida/core';
import { roleRank } from '../http/guard.js';
import type { AuditLog } from '../identity/audit.js';
import { HOST_VERSION } from '../version.js';
import type { HostMcpTools, ToolAnswer } from './host-tools.js';
import { SERVER_TOOLS } from './server-tools.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const INSTRUCTIONS =
  "AIDA's tables on the server, with your own access rights. Start with list_tables or search_catalog, then describe_table; " +
  'query runs one read-only SELECT (DuckDB SQL) and pages big results by cursor: nothing is ever cut. ' +
  'A table you cannot read is not shown; request_access asks an admin for it.';

export interface SessionServerDeps {
  tools: HostMcpTools;
  audit: AuditLog;
  logger: Logger;
  instanceName: string;
}

/** Who calls, per request: the endpoint authenticates every request and hands the user and its request id to the call. */
export interface CallContext {
  user: RequestUser;
  requestId: string;
}

/** The call context the endpoint put in `authInfo.extra` (see endpoint.ts). */
function callContext(extra: Extra): CallContext {
  const ctx = extra.authInfo?.extra?.aida as CallContext | undefined;
  if (!ctx) throw new Error('an MCP request reached a tool without its caller');
  return ctx;
}

const config = (d: Pick<McpToolDefinition, 'title' | 'description' | 'outputSchema' | 'annotations'>) => ({
  title: d.title,
  description: d.description,
  outputSchema: d.outputSchema,
  annotations: d.annotations,
});

/**
 * The tools a session offers follow the caller's role when it starts: query and
 * propose_knowledge need analyst, as POST /api/query and POST /api/memory do. Each call
 * checks the role again, so a demotion applies at once. `owner` is who the session (or, state
 * on PostgreSQL, the one request) is for.
 */
export function createSessionServer(d: SessionServerDeps, owner: RequestUser): McpServer {
  const role = owner.role;
  const server = new McpServer({ name: 'aida', title: d.instanceName, version: HOST_VERSION }, { instructions: INSTRUCTIONS });
  const analyst = roleRank(role) >= roleRank('analyst');
  const call = (tool: string, extra: Extra, run: (c: CallContext) => Promise<ToolAnswer> | ToolAnswer, needs?: Role) =>
    audited(d, tool, callContext(extra), async (c) => {
      if (needs && roleRank(c.user.role) < roleRank(needs)) throw new NotAllowedError(`${tool} needs the ${needs} role; you are ${c.user.role}`);
      return run(c);
    });
  const t = MCP_TOOLS;
  server.registerTool(t.list_tables.name, { ...config(t.list_tables), inputSchema: t.list_tables.inputSchema }, (args, extra) =>
    call('list_tables', extra, (c) => d.tools.listTables(c.user, args)),
  );
  server.registerTool(t.describe_table.name, { ...config(t.describe_table), inputSchema: t.describe_table.inputSchema }, (args, extra) =>
    call('describe_table', extra, (c) => d.tools.describeTable(c.user, args.table)),
  );
  server.registerTool(t.search_catalog.name, { ...config(t.search_catalog), inputSchema: t.search_catalog.inputSchema }, (args, extra) =>
    call('search_catalog', extra, (c) => d.tools.searchCatalog(c.user, args.text, args.cursor)),
  );
  if (analyst) {
    server.registerTool(t.query.name, { ...config(t.query), inputSchema: t.query.inputSchema }, (args, extra) =>
      call('query', extra, (c) => d.tools.query(c.user, args, extra.signal), 'analyst'),
    );
  }
  const s = SERVER_TOOLS;
  server.registerTool(s.request_access.name, { ...config(s.request_access), inputSchema: s.request_access.inputSchema }, (args, extra) =>
    call('request_access', extra, (c) => d.tools.requestAccess(c.user, args.table, args.reason)),
  );
  if (d.tools.hasKnowledge) {
    server.registerTool(s.get_knowledge.name, { ...config(s.get_knowledge), inputSchema: s.get_knowledge.inputSchema }, (args, extra) =>
      call('get_knowledge', extra, (c) => d.tools.getKnowledge(c.user, args, c.requestId)),
    );
  }
  const proposal = d.tools.proposalSchema;
  if (analyst && proposal) {
    server.registerTool(s.propose_knowledge.name, { ...config(s.propose_knowledge), inputSchema: proposal }, (args, extra) =>
      call('propose_knowledge', extra, (c) => d.tools.proposeKnowledge(c.user, args as Record<string, unknown>, c.requestId), 'analyst'),
    );
  }

  const template = new ResourceTemplate(MCP_TABLE_RESOURCE.uriTemplate, {
    list: (extra) => ({
      resources: d.tools.tableIds(callContext(extra).user).map((id) => ({ uri: MCP_TABLE_RESOURCE.uri(id), name: id, mimeType: MCP_TABLE_RESOURCE.mimeType })),
    }),
    // Completion requests carry no caller: they complete for the session's owner (the endpoint binds every request of a session to its owner).
    complete: {
      name: (prefix) =>
        d.tools
          .tableIds(owner)
          .filter((id) => id.startsWith(prefix.toLowerCase()))
          .slice(0, 100),
    },
  });
  server.registerResource(
    MCP_TABLE_RESOURCE.name,
    template,
    { title: MCP_TABLE_RESOURCE.title, description: MCP_TABLE_RESOURCE.description, mimeType: MCP_TABLE_RESOURCE.mimeType },
    async (uri, variables, extra) => {
      const c = callContext(extra);
      const id = decodeURIComponent(String(variables.name));
      const started = performance.now();
      try {
        const text = await d.tools.tableMarkdown(c.user, id);
        record(d, c, 'resources/read', uri.href, 200, started);
        return { contents: [{ uri: uri.href, mimeType: MCP_TABLE_RESOURCE.mimeType, text }] };
      } catch (e) {
        record(d, c, 'resources/read', uri.href, statusOf(e), started);
        throw e;
      }
    },
  );
  return server;
}

/**
 * A tool's answer as MCP wants it: the JSON text plus the same data as structured content; a
 * failure as a tool error (isError) whose text says what went wrong and what to do. Either way
 * one audit row, as for an API call.
 */
async function audited(d: SessionServerDeps, tool: string, c: CallContext, run: (c: CallContext) => Promise<ToolAnswer>): Promise<CallToolResult> {
  const started = performance.now();
  try {
    const a = await run(c);
    record(d, c, tool, `/mcp/tools/${tool}`, 200, started);
    return { content: [{ type: 'text', text: a.text }], structuredContent: a.structured as Record<string, unknown> };
  } catch (e) {
    record(d, c, tool, `/mcp/tools/${tool}`, statusOf(e), started);
    let text: string;
    if (isAidaError(e) && e.status < 500) text = e.message;
    else if (isAidaError(e) && e.status !== 500) text = `${e.message} (${e.code})`;
    else {
      d.logger.error({ err: e, request_id: c.requestId, tool }, 'an MCP tool failed');
      text = `Internal error; quote request id ${c.requestId} when reporting it`;
    }
    return { isError: true, content: [{ type: 'text', text }] };
  }
}

function statusOf(e: unknown): number {
  return isAidaError(e) ? e.status : 500;
}

function record(d: SessionServerDeps, c: CallContext, what: string, resource: string, status: number, started: number): void {
  d.audit.record({
    timestamp: new Date(),
    user_id: c.user.id,
    action: `MCP ${what}`,
    resource,
    status,
    duration_ms: performance.now() - started,
    request_id: c.requestId,
  });
}
