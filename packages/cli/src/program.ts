// The `da` command tree. Each command lives in commands/<name>.ts and registers itself here.
import { Command } from 'commander';
import { registerAuth } from './commands/auth.js';
import { registerSync } from './commands/sync.js';
import { registerQuery } from './commands/query.js';
import { registerExplore } from './commands/explore.js';
import { registerStatus } from './commands/status.js';
import { registerAdmin } from './commands/admin.js';
import { registerDiagnose } from './commands/diagnose.js';
import { registerNotifications } from './commands/notifications.js';
import { registerMcp } from './mcp/command.js';
import { VERSION } from './version.js';

/** With `json`, commander's own usage errors are left to the caller to print as JSON. */
export function buildProgram(o: { json?: boolean } = {}): Command {
  const program = new Command('da')
    .description('AIDA analyst CLI: sync the tables you may read to this machine and query them offline')
    // `da --version --json` answers in JSON like everything else.
    .version(o.json ? JSON.stringify({ version: VERSION }) : VERSION)
    .option('--server <url>', 'AIDA server (or DA_SERVER; remembered by da login)')
    .option('--json', 'machine-readable output on stdout (errors included)')
    .showSuggestionAfterError()
    .exitOverride();
  if (o.json) program.configureOutput({ outputError: () => undefined });
  for (const register of [
    registerAuth,
    registerSync,
    registerQuery,
    registerExplore,
    registerStatus,
    registerAdmin,
    registerDiagnose,
    registerNotifications,
    registerMcp,
  ])
    register(program);
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
