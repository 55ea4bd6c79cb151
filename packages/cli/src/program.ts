// The `da` command tree. Each command lives in commands/<name>.ts and registers itself here
// (and in lazy-program.ts, which the binary uses to load only the command it runs).
import type { Command } from 'commander';
import { registerAuth } from './commands/auth.js';
import { registerSync } from './commands/sync.js';
import { registerQuery } from './commands/query.js';
import { registerExplore } from './commands/explore.js';
import { registerStatus } from './commands/status.js';
import { registerAdmin } from './commands/admin.js';
import { registerDiagnose } from './commands/diagnose.js';
import { registerNotifications } from './commands/notifications.js';
import { registerMcp } from './mcp/command.js';
import { assembleProgram } from './program-shell.js';

/** With `json`, commander's own usage errors are left to the caller to print as JSON. */
export function buildProgram(o: { json?: boolean } = {}): Command {
  return assembleProgram(o, [
    registerAuth,
    registerSync,
    registerQuery,
    registerExplore,
    registerStatus,
    registerAdmin,
    registerDiagnose,
    registerNotifications,
    registerMcp,
  ]);
}
