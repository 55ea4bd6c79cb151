import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { AnyPlugin, Role } from '@aida/core';
import type { AuthenticatedFetch, ContractHost } from '@aida/core/testing';
import { createHost, type Host } from '../host.js';
import type { TokenOverrides } from '../plugins/overrides.js';
import type { InlinePluginEntry } from '../plugins/resolve.js';
import { stopAfterTestFile } from './auto-stop.js';
import { testAnalyticsConfig, testStateConfig } from './test-state.js';
import { runJobNow, type JobOutcome } from './run-job.js';
import { TestSignIn, type TestUserOptions } from './sign-in.js';

export interface StartTestHostOptions<T extends readonly unknown[] = readonly unknown[]> {
  plugins?: readonly (AnyPlugin | InlinePluginEntry)[];
  /** Instance config (as instance.yaml would hold it) over the test defaults; `jobs` is merged key by key. */
  config?: Record<string, unknown>;
  /**
   * `[token, stub]` pairs replacing what the host or a plugin provides (a clock, a mailer,
   * an HTTP client…); every plugin depending on the token gets the stub. Each stub is
   * type-checked against its token.
   */
  overrides?: TokenOverrides<T>;
  /** Reuse a data dir (e.g. to test a restart); a fresh temp dir otherwise, removed on stop. */
  dataDir?: string;
  /** Log level; silent unless AIDA_TEST_LOG_LEVEL says otherwise. */
  logLevel?: string;
  /** The host's logger instead (`logLevel` is then ignored): e.g. a pino logger writing to a stream the test reads. */
  logger?: Logger;
}

export interface TestHost extends ContractHost {
  readonly host: Host;
  /** A new user with `role`, created by the kit's admin through the API and signed in. */
  asUser(role: Role, options?: TestUserOptions): Promise<AuthenticatedFetch>;
  /** Runs job `name` (`<pluginId>:<job>`) once, now, and resolves with how it ended. */
  runJob(name: string, data?: Record<string, unknown>, options?: { timeoutMs?: number }): Promise<JobOutcome>;
}

// Runs are polled, so a short poll keeps queued jobs quick; finished runs stay stored so runJob can read their outcome.
const TEST_JOBS = { backend: 'duckdb', process_every: '200ms', remove_on_complete: false };

/**
 * Boots a real AIDA host (real DuckDB files in a temp dir, real HTTP on loopback) with the
 * given plugins. With `AIDA_TEST_STATE=postgres` its system tables are on PostgreSQL instead,
 * in a schema of their own (see test-state.ts), so a suite runs unchanged on both backends. Under vitest it stops after the test file even if the test never calls `stop()`.
 */
export async function startTestHost<const T extends readonly unknown[] = []>(options: StartTestHostOptions<T> = {}): Promise<TestHost> {
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'aida-test-')));
  const jobs = { ...TEST_JOBS, ...(options.config?.jobs as Record<string, unknown> | undefined) };
  const state = testStateConfig(dataDir, options.config?.state);
  let host: Host;
  try {
    host = await createHost({
      dataDir,
      plugins: options.plugins ?? [],
      config: { ...options.config, jobs, ...(state ? { state: state.config, analytics: testAnalyticsConfig(state, options.config?.analytics) } : {}) },
      overrides: options.overrides ?? [],
      logger: options.logger ?? pino({ level: options.logLevel ?? process.env.AIDA_TEST_LOG_LEVEL ?? 'silent' }),
    });
    await host.start();
  } catch (e) {
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    if (ownDir) await state?.drop();
    throw e;
  }
  let server: Awaited<ReturnType<Host['listen']>>;
  try {
    server = await host.listen(0, '127.0.0.1');
  } catch (e) {
    await host.stop();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    if (ownDir) await state?.drop();
    throw e;
  }
  const signIn = new TestSignIn(server.url);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      untrack();
      await server.close();
      await host.stop();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
      if (ownDir) await state?.drop();
    })());
  const untrack = stopAfterTestFile({ stop });
  return {
    host,
    url: server.url,
    dataDir,
    request: (path, init) => fetch(`${server.url}${path}`, init),
    asAdmin: () => signIn.asAdmin(),
    asUser: (role, userOptions) => signIn.asUser(role, userOptions),
    runJob: async (name, data, jobOptions) => {
      if (!host.jobs) throw new Error(`runJob(${name}): the host's jobs are not running`);
      return runJobNow(host.jobs, name, data, { ...jobOptions, removesCompleted: host.config.jobs.remove_on_complete });
    },
    stop,
  };
}
