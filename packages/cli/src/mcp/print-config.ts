// `da mcp --print-config`: what an agent needs to start `da mcp` for this workspace. The command
// is the absolute path of this Node and of this `da`, because Claude Desktop and Cursor start
// servers with a bare PATH (a `da` or `node` found by nvm or Homebrew is often not on it), and
// the workspace is named by DA_LOCAL_DIR because they start it in no particular folder.
import { fileURLToPath } from 'node:url';
import type { Workspace } from '../workspace.js';

/** The name agents show the server under. */
export const SERVER_NAME = 'aida';

export interface McpLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface McpClientConfigs {
  server: McpLaunch;
  claude_code: { command_line: string; mcp_json: unknown };
  claude_desktop: { file: string; config: unknown };
  cursor: { file: string; config: unknown };
}

export function launchFor(ws: Workspace): McpLaunch {
  const main = fileURLToPath(new URL('../main.js', import.meta.url));
  return { command: process.execPath, args: [main, 'mcp'], env: { DA_LOCAL_DIR: ws.root } };
}

export function clientConfigs(ws: Workspace): McpClientConfigs {
  const server = launchFor(ws);
  const entry = { command: server.command, args: server.args, env: server.env };
  const env = Object.entries(server.env).map(([k, v]) => `--env ${shellQuote(`${k}=${v}`)}`);
  return {
    server,
    claude_code: {
      command_line: ['claude mcp add --transport stdio --scope project', ...env, SERVER_NAME, '--', ...[server.command, ...server.args].map(shellQuote)].join(
        ' ',
      ),
      mcp_json: { mcpServers: { [SERVER_NAME]: { type: 'stdio', ...entry } } },
    },
    claude_desktop: {
      file: 'macOS: ~/Library/Application Support/Claude/claude_desktop_config.json; Windows: %APPDATA%\\Claude\\claude_desktop_config.json',
      config: { mcpServers: { [SERVER_NAME]: entry } },
    },
    cursor: { file: '.cursor/mcp.json in the project, or ~/.cursor/mcp.json for every project', config: { mcpServers: { [SERVER_NAME]: entry } } },
  };
}

export function renderConfigs(c: McpClientConfigs, ws: Workspace): string {
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  return [
    `da mcp serves the tables synced to ${ws.root}, offline, over stdio.`,
    '',
    'Claude Code — run in the project folder (writes .mcp.json there):',
    `  ${c.claude_code.command_line}`,
    'or put this in .mcp.json yourself:',
    json(c.claude_code.mcp_json),
    '',
    `Claude Desktop — merge into ${c.claude_desktop.file}, then restart Claude Desktop:`,
    json(c.claude_desktop.config),
    '',
    `Cursor — merge into ${c.cursor.file}:`,
    json(c.cursor.config),
    '',
    'The paths are absolute on purpose: agents start servers with a short PATH. Run da mcp --print-config again after moving the workspace or upgrading Node.',
  ].join('\n');
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
