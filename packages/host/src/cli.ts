#!/usr/bin/env node
import { Command } from 'commander';
import { isAidaError } from '@aida/core';
import { resetPassword } from './admin/reset-password.js';
import { configPath, loadConfigFile } from './config/load.js';
import { createHost } from './host.js';
import { listPlugins, renderPluginListing } from './plugins/listing.js';
import { HOST_VERSION } from './version.js';

/** The data directory: AIDA_DATA_DIR, then the config's `data_dir`, then ./data. */
function dataDirOf(raw: { data_dir?: string } | undefined): string {
  return process.env.AIDA_DATA_DIR || raw?.data_dir || './data';
}

/** `aida serve`: config from config/instance.yaml (AIDA_CONFIG), data in AIDA_DATA_DIR, port from PORT. */
async function serve(): Promise<void> {
  const path = configPath();
  const file = await loadConfigFile(path);
  const raw = file?.raw as { data_dir?: string; server?: { port?: number; host?: string } } | undefined;
  const host = await createHost({ config: file?.raw, configIssues: file?.issues, demo: !file, dataDir: dataDirOf(raw) });
  if (!file) host.logger.info(`no config file at ${path}: running the demo instance (local files over a bundled e-commerce dataset)`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      host.logger.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    host.logger.info(`${signal} received: shutting down`);
    await host.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  await host.start();
  const port = process.env.PORT ? Number(process.env.PORT) : (host.config.server.port ?? 8000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${process.env.PORT}`);
  const { url } = await host.listen(port, host.config.server.host);
  host.logger.info({ url }, `AIDA ${HOST_VERSION} listening on ${url}`);
  if (host.demoAdmin) {
    // Plain lines, whatever the log format: this password is shown once and must be seen.
    const { email, password } = host.demoAdmin;
    process.stderr.write(
      `\n  AIDA demo is ready: ${url}/login\n  Sign in as ${email} with password ${password}   (shown this once)\n` +
        `  Lost it? Stop the host and run: npx aida admin reset-password ${email}\n\n`,
    );
  }
}

/** Startup and operator problems go to stderr as plain text a person can act on, not as a stack trace. */
function fail(e: unknown, what: string): never {
  const code = isAidaError(e) ? `${e.code}: ` : '';
  process.stderr.write(`aida: ${what}. ${code}${(e as Error).message}\n`);
  process.exit(1);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const program = new Command('aida').description('AIDA host: data distribution for analysts and their AI agents').version(HOST_VERSION);
program
  .command('serve')
  .description('run the host: config/instance.yaml (or $AIDA_CONFIG), data in $AIDA_DATA_DIR (./data), port $PORT (8000)')
  .action(async () => {
    try {
      await serve();
    } catch (e) {
      fail(e, 'cannot start');
    }
  });

program
  .command('plugins')
  .description('list the plugin packages installed for this instance and the ones its config names')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    try {
      const file = await loadConfigFile(configPath());
      const entries = ((file?.raw as { plugins?: { package?: unknown }[] } | undefined)?.plugins ?? [])
        .map((p) => p?.package)
        .filter((p): p is string => typeof p === 'string');
      const rows = listPlugins(process.cwd(), entries);
      process.stdout.write(opts.json ? `${JSON.stringify({ plugins: rows, config: file?.path ?? null }, null, 2)}\n` : `${renderPluginListing(rows)}\n`);
      if (!file) process.stderr.write(`(no config file at ${configPath()}: the demo instance would run)\n`);
    } catch (e) {
      fail(e, 'cannot list plugins');
    }
  });

const admin = program.command('admin').description('operator commands on a stopped instance');
admin
  .command('reset-password')
  .description('set a new password for a user (the host must be stopped); prints a generated one unless --password-stdin')
  .argument('<email>', "the user's email")
  .option('--data-dir <dir>', "the instance data directory (default: $AIDA_DATA_DIR, the config's data_dir, ./data)")
  .option('--password-stdin', 'read the new password from standard input instead of generating one')
  .action(async (email: string, opts: { dataDir?: string; passwordStdin?: boolean }) => {
    try {
      const file = opts.dataDir ? undefined : await loadConfigFile(configPath());
      const dir = opts.dataDir ?? dataDirOf(file?.raw as { data_dir?: string } | undefined);
      const out = await resetPassword(dir, email, opts.passwordStdin ? await readStdin() : undefined);
      process.stderr.write(
        `The password of ${out.email} (${out.role}) is reset.${out.active ? '' : ' The account is deactivated: an admin must activate it before it can sign in.'}\n`,
      );
      if (out.generated) process.stdout.write(`${out.generated}\n`);
    } catch (e) {
      fail(e, 'cannot reset the password');
    }
  });
await program.parseAsync(process.argv);
