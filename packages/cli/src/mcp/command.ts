// da mcp: an MCP server over stdio for the analyst's agent, answering from the tables already
// synced to this laptop; it needs no server, no network and no token.
import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { MCP_MIN_RESULT_BUDGET_CHARS, MCP_PAGED_MAX_CHARS, MCP_PAGED_MAX_ROWS, MCP_RESULT_BUDGET_CHARS } from '@aida/core';
import { action } from '../command.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { loadLocalCatalog } from '../agent-context/local-catalog.js';
import { LocalTools } from './local-tools.js';
import { stderrLog } from './log.js';
import { clientConfigs, renderConfigs } from './print-config.js';
import { createLocalMcpServer } from './server.js';

interface McpOptions {
  printConfig?: boolean;
  maxChars?: string;
  timeout?: string;
}

const DEFAULT_TIMEOUT_S = 30;

export function registerMcp(program: Command): void {
  program
    .command('mcp')
    .description('Serve the tables synced here to an AI agent over MCP (stdio); works offline')
    .option('--print-config', 'print the settings for Claude Code, Claude Desktop and Cursor, then exit')
    .option('--max-chars <n>', `characters of JSON one answer may hold; bigger results are paged (default ${MCP_RESULT_BUDGET_CHARS})`)
    .option('--timeout <seconds>', `longest a query may run (default ${DEFAULT_TIMEOUT_S})`)
    .action(action<McpOptions>(mcp));
}

async function mcp(ctx: Context, o: McpOptions): Promise<void> {
  if (o.printConfig) {
    const configs = clientConfigs(ctx.ws);
    ctx.out.result(configs, () => renderConfigs(configs, ctx.ws));
    return;
  }
  if (ctx.out.json) throw usageError('da mcp speaks MCP on stdout; --json goes with --print-config', 'da mcp --print-config --json');
  const budget = whole(o.maxChars, '--max-chars', MCP_MIN_RESULT_BUDGET_CHARS) ?? MCP_RESULT_BUDGET_CHARS;
  const timeoutMs = (whole(o.timeout, '--timeout', 1) ?? DEFAULT_TIMEOUT_S) * 1000;
  const log = stderrLog();
  const tools = new LocalTools(ctx.ws, { budget, limits: { maxRows: MCP_PAGED_MAX_ROWS, maxChars: MCP_PAGED_MAX_CHARS, timeoutMs } });
  const server = createLocalMcpServer(tools, log);
  const catalog = await loadLocalCatalog(ctx.ws);
  await server.connect(new StdioServerTransport());
  log.info(
    catalog.tables.length
      ? `serving ${catalog.tables.length} table(s) synced to ${ctx.ws.root}${catalog.synced_at ? ` (last sync ${catalog.synced_at})` : ''}`
      : `no tables synced to ${ctx.ws.root} yet: run da sync there (or set DA_LOCAL_DIR to your workspace)`,
  );
  // The session ends when the client closes our stdin.
  await new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  await server.close();
}

function whole(raw: string | undefined, flag: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw usageError(`${flag} must be a whole number ≥ ${min}, not '${raw}'`);
  return n;
}
