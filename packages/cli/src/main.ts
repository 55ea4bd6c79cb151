#!/usr/bin/env node
// The `da` binary: runs the command tree and turns every failure into one message and an
// exit code that says what kind of failure it was.
import { CommanderError } from 'commander';
import { CliError, EXIT_CODES } from './errors.js';
import { Output } from './output.js';
import { programFor } from './lazy-program.js';

const json = process.argv.includes('--json');
const out = new Output(json);
// Output piped into `head` and the like: a closed pipe ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

try {
  await (await programFor(process.argv, { json })).parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    if (e.exitCode !== 0 && json) out.error(new CliError('usage', e.message.replace(/^error: /, '')));
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_CODES.usage;
  } else if (e instanceof CliError) {
    if (!e.details.reported) out.error(e);
    process.exitCode = e.exitCode;
  } else {
    out.error(e as Error);
    if (!json && process.env.DA_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = 1;
  }
}
