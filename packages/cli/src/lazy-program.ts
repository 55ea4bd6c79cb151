// The command tree the `da` binary builds: only the module of the command it runs. Importing
// every command pulled in DuckDB, the MCP SDK and zod schemas — about as much CPU as a whole
// `da sync` with nothing to do — before any command started.
import type { Command } from 'commander';
import { assembleProgram, type RegisterCommand } from './program-shell.js';

/** Each command module by the command names it registers (program.ts lists the same modules). */
export const COMMAND_MODULES: readonly { names: readonly string[]; load: () => Promise<RegisterCommand> }[] = [
  { names: ['login', 'logout', 'whoami'], load: async () => (await import('./commands/auth.js')).registerAuth },
  { names: ['sync'], load: async () => (await import('./commands/sync.js')).registerSync },
  { names: ['query'], load: async () => (await import('./commands/query.js')).registerQuery },
  { names: ['explore'], load: async () => (await import('./commands/explore.js')).registerExplore },
  { names: ['status'], load: async () => (await import('./commands/status.js')).registerStatus },
  { names: ['admin'], load: async () => (await import('./commands/admin.js')).registerAdmin },
  { names: ['diagnose'], load: async () => (await import('./commands/diagnose.js')).registerDiagnose },
  { names: ['notifications'], load: async () => (await import('./commands/notifications.js')).registerNotifications },
  { names: ['mcp'], load: async () => (await import('./mcp/command.js')).registerMcp },
];

/**
 * The tree `argv` (process.argv) needs: just the command it names, or every command when it
 * names none we know (help, a typo that deserves a suggestion, no command at all).
 */
export async function programFor(argv: readonly string[], o: { json?: boolean } = {}): Promise<Command> {
  const name = commandName(argv.slice(2));
  const one = name === undefined ? undefined : COMMAND_MODULES.find((c) => c.names.includes(name));
  if (one) return assembleProgram(o, [await one.load()]);
  return (await import('./program.js')).buildProgram(o);
}

/** The first argument that is neither a global option nor the value of `--server`. */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--server') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}
