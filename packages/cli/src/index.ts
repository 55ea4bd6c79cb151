// The programmatic surface of @aida/cli: the command tree and the pieces agents or tests may
// want without spawning the binary.
export { buildProgram } from './program.js';
export { CliError, EXIT_CODES, type ErrorKind } from './errors.js';
export { workspace, type Workspace } from './workspace.js';
