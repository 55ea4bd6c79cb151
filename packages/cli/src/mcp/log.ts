// What `da mcp` says about itself goes to stderr, one line per event: stdout carries the MCP
// protocol and nothing else. Clients keep a server's stderr in their logs (Claude Code:
// `claude --debug`; Claude Desktop: mcp-server-aida.log).
export interface McpLog {
  info(message: string): void;
  /** One line per tool call: its name, duration and outcome. */
  call(tool: string, startedAt: number, outcome: string): void;
}

export function stderrLog(stream: NodeJS.WritableStream = process.stderr): McpLog {
  const line = (message: string) => stream.write(`da mcp: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return {
    info: line,
    call: (tool, startedAt, outcome) => line(`${tool} ${Math.round(performance.now() - startedAt)} ms: ${outcome.slice(0, 300)}`),
  };
}
