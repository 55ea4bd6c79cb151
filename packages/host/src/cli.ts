#!/usr/bin/env node
import { Command } from 'commander';
import { isAidaError, ROLES } from '@aida/core';
import { configPath, loadConfigFile } from './config/load.js';
import { HOST_VERSION } from './version.js';

// Each command loads what it needs when it runs: the host's whole module graph takes seconds to
// load on a busy machine, which an operator command should not wait for.

/** The data directory: AIDA_DATA_DIR, then the config's `data_dir`, then ./data. */
function dataDirOf(raw: { data_dir?: string } | undefined): string {
  return process.env.AIDA_DATA_DIR || raw?.data_dir || './data';
}

/**
 * What an operator command needs of the instance: `--data-dir`, else as `aida serve` finds it;
 * where links point; and the config's `state:` section, which says where the system tables are
 * (an unreadable config stops the command: it would otherwise guess the wrong database).
 */
async function instanceOf(opts: { dataDir?: string; baseUrl?: string }) {
  const path = configPath();
  const file = await loadConfigFile(path);
  const raw = file?.raw as { data_dir?: string; instance?: { base_url?: string }; server?: { port?: number } } | undefined;
  const port = process.env.PORT ? Number(process.env.PORT) : raw?.server?.port;
  const { stateSectionOf } = await import('./admin/instance-state.js');
  return { dataDir: opts.dataDir ?? dataDirOf(raw), baseUrl: opts.baseUrl ?? raw?.instance?.base_url, port, state: stateSectionOf(file?.raw, path) };
}

const DATA_DIR_HELP = "the instance data directory (default: $AIDA_DATA_DIR, the config's data_dir, ./data)";

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** `aida serve`: config from config/instance.yaml (AIDA_CONFIG), data in AIDA_DATA_DIR, port from PORT. */
async function serve(role: string | undefined): Promise<void> {
  const path = configPath();
  const file = await loadConfigFile(path);
  const raw = file?.raw as { data_dir?: string; server?: { port?: number; host?: string } } | undefined;
  const { createHost } = await import('./host.js');
  const host = await createHost({ config: file?.raw, configIssues: file?.issues, demo: !file, dataDir: dataDirOf(raw), role });
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
  } else if (!file) {
    // A data dir that has users already: no password is shown, so say which one to use.
    process.stderr.write(
      `\n  AIDA demo is ready: ${url}/login\n  Sign in with an account this data dir has (with the host stopped, npx aida admin list-users lists them).\n  Lost the password? Stop the host and run: npx aida admin reset-password EMAIL\n\n`,
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
  .option(
    '--role <role>',
    'all (default): everything; web: HTTP only; worker: jobs, extraction and rebuilds (docs/deploy.md, Scale out)',
    process.env.AIDA_ROLE,
  )
  .action(async (opts: { role?: string }) => {
    try {
      await serve(opts.role);
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
      const { listPlugins, renderPluginListing } = await import('./plugins/listing.js');
      const rows = listPlugins(process.cwd(), entries);
      process.stdout.write(opts.json ? `${JSON.stringify({ plugins: rows, config: file?.path ?? null }, null, 2)}\n` : `${renderPluginListing(rows)}\n`);
      if (!file) process.stderr.write(`(no config file at ${configPath()}: the demo instance would run)\n`);
    } catch (e) {
      fail(e, 'cannot list plugins');
    }
  });

program
  .command('backup')
  .description('write a consistent archive of the instance (system database, extracts, analytics database, with SHA-256 hashes); works while the host runs')
  .requiredOption('--to <file>', 'the archive to write (.tar, or .tar.gz/.tgz to compress); - for standard output')
  .option('--data-dir <dir>', DATA_DIR_HELP)
  .option('--force', 'replace an existing file')
  .option('--files-only', 'state in PostgreSQL: archive the data directory without the system tables (back those up with pg_dump)')
  .action(async (opts: { to: string; dataDir?: string; force?: boolean; filesOnly?: boolean }) => {
    try {
      const { dataDir, state } = await instanceOf(opts);
      const { backup } = await import('./admin/backup.js');
      const out = await backup(dataDir, opts.to, { force: opts.force, filesOnly: opts.filesOnly, state });
      const m = out.manifest;
      process.stderr.write(
        `Backed up ${m.data_dir} (${m.live ? 'from the live host' : 'stopped instance'}, schema version ${m.schema_version}) to ${out.to}: ${m.files.length} files, ${megabytes(out.bytes)}.\n`,
      );
      if (m.state_backend === 'postgres') {
        const { pgDumpAdvice } = await import('./admin/instance-state.js');
        process.stderr.write(`  The system tables are NOT in this archive: they are in PostgreSQL. ${pgDumpAdvice(state)}\n`);
      }
      for (const w of m.warnings) process.stderr.write(`  note: ${w}\n`);
    } catch (e) {
      fail(e, 'cannot back up');
    }
  });

program
  .command('restore')
  .description('restore an archive made by aida backup into a data directory (the host must be stopped); checks every file against the manifest')
  .requiredOption('--from <file>', 'the archive; - for standard input')
  .option('--data-dir <dir>', DATA_DIR_HELP)
  .option('--force', 'replace what the data directory holds')
  .option('--files-only', 'restore an archive made with aida backup --files-only (the system tables come back with pg_restore)')
  .action(async (opts: { from: string; dataDir?: string; force?: boolean; filesOnly?: boolean }) => {
    try {
      const { dataDir, state } = await instanceOf(opts);
      const { restore } = await import('./admin/restore.js');
      const out = await restore(opts.from === '-' ? process.stdin : opts.from, dataDir, { force: opts.force, filesOnly: opts.filesOnly });
      const m = out.manifest;
      const users = out.users === null ? '' : `${out.users} user${out.users === 1 ? '' : 's'}, `;
      process.stderr.write(
        `Restored the backup of ${m.created_at} (AIDA ${m.aida_version}, schema version ${m.schema_version}) into ${out.data_dir}: ${m.files.length} files verified, ` +
          `${users}${out.tables} table${out.tables === 1 ? '' : 's'} in ${out.sources} source${out.sources === 1 ? '' : 's'}.\n`,
      );
      if (m.state_backend === 'postgres') {
        const { pgDumpAdvice } = await import('./admin/instance-state.js');
        process.stderr.write(`  The system tables are not in this archive: restore them into PostgreSQL before starting the host. ${pgDumpAdvice(state)}\n`);
      }
      if (!out.analytics_restored) process.stderr.write('  The analytics database is rebuilt from the extracts when the host starts.\n');
    } catch (e) {
      fail(e, 'cannot restore');
    }
  });

program
  .command('migrate')
  .description(
    'apply the schema migrations of this version and exit (the host also migrates at start); the instance must be stopped unless its state is in PostgreSQL',
  )
  .option('--data-dir <dir>', DATA_DIR_HELP)
  .action(async (opts: { dataDir?: string }) => {
    try {
      const { dataDir, state } = await instanceOf(opts);
      const { migrateInstance } = await import('./admin/migrate.js');
      const out = await migrateInstance(dataDir, state);
      process.stderr.write(
        out.applied.length
          ? `Migrated ${out.where} from schema version ${out.from} to ${out.to} (applied ${out.applied.join(', ')}).\n`
          : `${out.where} is at schema version ${out.to}: nothing to migrate.\n`,
      );
    } catch (e) {
      fail(e, 'cannot migrate');
    }
  });

program
  .command('migrate-state')
  .description(
    "copy a stopped instance's system database (state/system.duckdb, host and plugin tables) into an empty PostgreSQL schema in one transaction, checking every table's row count",
  )
  .requiredOption('--from <backend>', 'where the state is now: duckdb')
  .requiredOption('--to <backend>', 'where it goes: postgres')
  .option('--url <url>', "the PostgreSQL connection string (default: the config's state.url, else the variable state.url_env names, $AIDA_DATABASE_URL)")
  .option('--schema <schema>', "the schema to copy into (default: the config's state.schema, public)")
  .option('--data-dir <dir>', DATA_DIR_HELP)
  .action(async (opts: { from: string; to: string; url?: string; schema?: string; dataDir?: string }) => {
    try {
      const { dataDir, state } = await instanceOf(opts);
      const { migrateState, renderMigrateState } = await import('./admin/migrate-state.js');
      const out = await migrateState(dataDir, { from: opts.from, to: opts.to, url: opts.url, schema: opts.schema, state });
      process.stderr.write(`${renderMigrateState(out)}\n`);
    } catch (e) {
      fail(e, 'cannot migrate the state');
    }
  });

const config = program.command('config').description('the instance configuration');
config
  .command('check')
  .description('validate config/instance.yaml (or $AIDA_CONFIG) and the plugins it names, with the messages boot gives, and exit')
  .option('--config <file>', 'the config file (default: $AIDA_CONFIG, then config/instance.yaml)')
  .option('--json', 'print JSON')
  .action(async (opts: { config?: string; json?: boolean }) => {
    try {
      const { checkConfig } = await import('./admin/config-check.js');
      const out = await checkConfig(opts.config ?? configPath());
      if (opts.json) process.stdout.write(`${JSON.stringify({ ok: true, ...out }, null, 2)}\n`);
      else if (!out.path) process.stdout.write(`No config file at ${opts.config ?? configPath()}: the host would run the demo instance.\n`);
      else
        process.stdout.write(
          `${out.path} is valid: ${out.plugins.length} plugin${out.plugins.length === 1 ? '' : 's'} (${out.plugins.map((p) => p.id).join(', ') || 'none'}), data in ${out.data_dir}, jobs on ${out.jobs_backend}.\n`,
        );
    } catch (e) {
      fail(e, 'the configuration is invalid');
    }
  });

const admin = program.command('admin').description('operator commands on a stopped instance (with state in PostgreSQL, hosts may run)');
admin
  .command('create-user')
  .description('create a user (the host must be stopped unless the state is in PostgreSQL); prints a one-time setup link unless --password-stdin')
  .argument('<email>', "the user's email")
  .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
  .option('--name <name>', "the user's name")
  .option('--password-stdin', 'read the password from standard input instead of making a setup link')
  .option('--base-url <url>', "where the setup link points (default: the config's instance.base_url, else http://localhost:$PORT)")
  .option('--data-dir <dir>', DATA_DIR_HELP)
  .action(async (email: string, opts: { role: string; name?: string; passwordStdin?: boolean; baseUrl?: string; dataDir?: string }) => {
    try {
      const inst = await instanceOf(opts);
      const password = opts.passwordStdin ? await readStdin() : undefined;
      const { createUser } = await import('./admin/create-user.js');
      const out = await createUser(inst.dataDir, { email, role: opts.role, name: opts.name, password, baseUrl: inst.baseUrl, port: inst.port }, inst.state);
      process.stderr.write(
        `Created ${out.email} (${out.role}).${out.setupLink ? ` Send them this link to set a password (single use, until ${out.setupLink.expires_at}):` : ''}\n`,
      );
      if (out.setupLink) process.stdout.write(`${out.setupLink.url}\n`);
    } catch (e) {
      fail(e, 'cannot create the user');
    }
  });

admin
  .command('reset-password')
  .description(
    'set a new password for a user (the host must be stopped unless the state is in PostgreSQL); prints a generated one unless --password-stdin or --link',
  )
  .argument('<email>', "the user's email")
  .option('--data-dir <dir>', DATA_DIR_HELP)
  .option('--password-stdin', 'read the new password from standard input instead of generating one')
  .option('--link', 'print a one-time setup link (valid 1 day) for the user to choose a password instead')
  .option('--base-url <url>', "where the setup link points (default: the config's instance.base_url, else http://localhost:$PORT)")
  .action(async (email: string, opts: { dataDir?: string; passwordStdin?: boolean; link?: boolean; baseUrl?: string }) => {
    try {
      const inst = await instanceOf(opts);
      const { resetPassword } = await import('./admin/reset-password.js');
      const out = await resetPassword(
        inst.dataDir,
        email,
        { password: opts.passwordStdin ? await readStdin() : undefined, link: opts.link, baseUrl: inst.baseUrl, port: inst.port },
        inst.state,
      );
      const inactive = out.active ? '' : ' The account is deactivated: an admin must activate it before it can sign in.';
      if (out.setupLink) {
        process.stderr.write(
          `A password reset link for ${out.email} (${out.role}) follows (single use, until ${out.setupLink.expires_at}; the old password works until it is used).${inactive}\n`,
        );
        process.stdout.write(`${out.setupLink.url}\n`);
      } else {
        process.stderr.write(`The password of ${out.email} (${out.role}) is reset.${inactive}\n`);
        if (out.generated) process.stdout.write(`${out.generated}\n`);
      }
    } catch (e) {
      fail(e, 'cannot reset the password');
    }
  });

admin
  .command('list-users')
  .description('list the users of a stopped instance (or of one whose state is in PostgreSQL)')
  .option('--json', 'print JSON')
  .option('--data-dir <dir>', DATA_DIR_HELP)
  .action(async (opts: { json?: boolean; dataDir?: string }) => {
    try {
      const { dataDir, state } = await instanceOf(opts);
      const { listUsers, renderUsers } = await import('./admin/list-users.js');
      const users = await listUsers(dataDir, state);
      process.stdout.write(opts.json ? `${JSON.stringify({ users }, null, 2)}\n` : `${renderUsers(users)}\n`);
    } catch (e) {
      fail(e, 'cannot list the users');
    }
  });
await program.parseAsync(process.argv);
