#!/usr/bin/env node
import { Command } from 'commander';
import { isAidaError } from '@aida/core';
import { configPath, loadConfigFile } from './config/load.js';
import { createHost } from './host.js';
import { HOST_VERSION } from './version.js';

/** `aida serve`: config from config/instance.yaml (AIDA_CONFIG), data in AIDA_DATA_DIR, port from PORT. */
async function serve(): Promise<void> {
  const path = configPath();
  const file = await loadConfigFile(path);
  const raw = file?.raw as { data_dir?: string; server?: { port?: number; host?: string } } | undefined;
  const host = await createHost({
    config: file?.raw,
    configIssues: file?.issues,
    demo: !file,
    dataDir: process.env.AIDA_DATA_DIR || raw?.data_dir || './data',
  });
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
}

const program = new Command('aida').description('AIDA host: data distribution for analysts and their AI agents').version(HOST_VERSION);
program
  .command('serve')
  .description('run the host: config/instance.yaml (or $AIDA_CONFIG), data in $AIDA_DATA_DIR (./data), port $PORT (8000)')
  .action(async () => {
    try {
      await serve();
    } catch (e) {
      // Startup problems go to stderr as plain text a person can act on, not as a stack trace.
      const code = isAidaError(e) ? `${e.code}: ` : '';
      process.stderr.write(`aida: cannot start. ${code}${(e as Error).message}\n`);
      process.exit(1);
    }
  });
await program.parseAsync(process.argv);
