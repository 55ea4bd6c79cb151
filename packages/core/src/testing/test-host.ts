import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyPlugin } from '../plugin.js';
import type { AidaHost } from '../contracts/host.js';

export interface TestPluginEntry {
  plugin: AnyPlugin;
  id?: string;
  config?: unknown;
  jobs?: Record<string, { schedule?: string; lock_lifetime?: string; concurrency?: number; enabled?: boolean }>;
}

export interface StartTestHostOptions {
  plugins?: (AnyPlugin | TestPluginEntry)[];
  /** Instance config (as instance.yaml would hold it) merged under the test defaults. */
  config?: Record<string, unknown>;
  /** Reuse a data dir (e.g. to test a restart); a fresh temp dir otherwise, removed on stop. */
  dataDir?: string;
  /** Log level; silent unless AIDA_TEST_LOG_LEVEL says otherwise. */
  logLevel?: string;
}

export interface TestHost {
  host: AidaHost;
  /** Base URL on 127.0.0.1 and a random port. */
  url: string;
  dataDir: string;
  /** fetch() against the host: `request('/api/health')`. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Stops the host, closes the port and removes the temp data dir (unless one was passed in). */
  stop(): Promise<void>;
}

interface HostModule {
  createHost(options: Record<string, unknown>): Promise<AidaHost>;
}

/**
 * Boots a real AIDA host (real DuckDB files in a temp dir, real HTTP on loopback) with the
 * given plugins. Needs `@aida/host` installed beside `@aida/core` (a dev dependency of the plugin).
 */
export async function startTestHost(options: StartTestHostOptions = {}): Promise<TestHost> {
  let mod: HostModule;
  try {
    const name = '@aida/host';
    mod = (await import(name)) as HostModule;
  } catch (e) {
    throw new Error(`startTestHost needs @aida/host: npm install --save-dev @aida/host (${(e as Error).message})`);
  }
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'aida-test-')));
  const { pino } = await import('pino');
  const host = await mod.createHost({
    dataDir,
    plugins: options.plugins ?? [],
    config: { jobs: { backend: 'duckdb', process_every: '200ms' }, ...options.config },
    logger: pino({ level: options.logLevel ?? process.env.AIDA_TEST_LOG_LEVEL ?? 'silent' }),
  });
  await host.start();
  let server: Awaited<ReturnType<AidaHost['listen']>>;
  try {
    server = await host.listen(0, '127.0.0.1');
  } catch (e) {
    await host.stop();
    throw e;
  }
  return {
    host,
    url: server.url,
    dataDir,
    request: (path, init) => fetch(`${server.url}${path}`, init),
    async stop() {
      await server.close();
      await host.stop();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
