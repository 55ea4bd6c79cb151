// The root of the `da` command tree — global options, help text, exit overrides — around
// whichever command modules register themselves into it (all of them, or just the one run).
import { Command } from 'commander';
import { VERSION } from './version.js';

/** What each commands/<name>.ts exports: adds its command(s) to the tree. */
export type RegisterCommand = (program: Command) => void;

/** With `json`, commander's own usage errors are left to the caller to print as JSON. */
export function assembleProgram(o: { json?: boolean }, registers: readonly RegisterCommand[]): Command {
  const program = new Command('da')
    .description('AIDA analyst CLI: sync the tables you may read to this machine and query them offline')
    // `da --version --json` answers in JSON like everything else.
    .version(o.json ? JSON.stringify({ version: VERSION }) : VERSION)
    .option('--server <url>', 'AIDA server (or DA_SERVER; remembered by da login)')
    .option('--json', 'machine-readable output on stdout (errors included)')
    .showSuggestionAfterError()
    .exitOverride();
  if (o.json) program.configureOutput({ outputError: () => undefined });
  for (const register of registers) register(program);
  program.commands.forEach(exitOverrideDeep);
  program.addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 crash, 2 usage, 3 auth, 4 network, 5 data, 6 server error.
Environment: DA_SERVER, DA_TOKEN, DA_CONFIG_DIR (default ~/.config/da), DA_LOCAL_DIR (default: the current directory).`,
  );
  return program;
}

function exitOverrideDeep(cmd: Command): void {
  cmd.exitOverride();
  cmd.commands.forEach(exitOverrideDeep);
}
