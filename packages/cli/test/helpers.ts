// A real AIDA host on loopback with tables written through ExtractWriter, and the real `da`
// binary run as a child process against it, each test in its own workspace and config dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExtractWriter } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';

export const daBin = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export const ADMIN = { email: 'admin@example.com', name: 'Admin', password: 'admin-password-1' };
export const ANALYST = { email: 'analyst@example.com', name: 'Ana', password: 'analyst-password-1' };

export interface TableSpec {
  /** A SELECT producing the rows. */
  sql: string;
  /** When given, the table is partitioned into these parts (each with its own SELECT). */
  parts?: { part: string; sql: string }[];
}

/** Writes (or rewrites) tables of one source's extract. */
export async function writeTables(dataDir: string, source: string, tables: Record<string, TableSpec>, drop: string[] = []): Promise<void> {
  const w = await ExtractWriter.open(join(dataDir, 'extracts', source));
  for (const [name, t] of Object.entries(tables)) {
    if (t.parts)
      await w.writeTableParts(
        name,
        t.parts.map((p) => ({ part: p.part, selectSql: p.sql })),
        { replaceAll: true },
      );
    else await w.writeTable(name, t.sql);
  }
  for (const d of drop) w.dropTable(d);
  await w.commit();
}

export interface DaHost {
  t: TestHost;
  url: string;
  adminToken: string;
  analystToken: string;
  analystId: string;
  stop(): Promise<void>;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** A host whose data dir already holds `tables` (source `shop`), an admin and an analyst. */
export async function startDaHost(tables: Record<string, TableSpec>, o: { dataDir?: string } = {}): Promise<DaHost> {
  const dataDir = o.dataDir ?? (await mkdtemp(join(tmpdir(), 'aida-da-host-')));
  if (!o.dataDir) await writeTables(dataDir, 'shop', tables);
  // No background re-profiling after rebuilds: the tests decide when profiles are computed.
  const t = await startTestHost({ dataDir, config: { analytics: { profile_after_rebuild: false } } });
  const post = (path: string, body: unknown, token?: string) =>
    t
      .request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      })
      .then(json);
  if (!o.dataDir) await post('/auth/bootstrap', ADMIN);
  const adminToken = String((await post('/auth/token', ADMIN)).access_token);
  if (!o.dataDir) await post('/api/users', { ...ANALYST, role: 'analyst' }, adminToken);
  const analystLogin = await post('/auth/token', ANALYST);
  return {
    t,
    url: t.url,
    adminToken,
    analystToken: String(analystLogin.access_token),
    analystId: String(analystLogin.user_id),
    async stop() {
      await t.stop();
      if (!o.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface DaRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/** A workspace and config dir of its own; `run` executes the real binary there. */
export async function daWorkspace(): Promise<{
  dir: string;
  configDir: string;
  env: Record<string, string>;
  run: (args: string[], o?: RunOptions) => Promise<DaRun>;
  cleanup(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'da-ws-'));
  const configDir = join(dir, '.config-da');
  const env = { DA_CONFIG_DIR: configDir, DA_LOCAL_DIR: dir, DA_BACKOFF_MS: '20' };
  return {
    dir,
    configDir,
    env,
    run: (args, o = {}) => runDa(args, { ...o, env: { ...env, ...o.env } }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
}

/** Starts the binary and returns the child (to kill it) and its result. */
export function spawnDa(args: string[], o: RunOptions = {}): { child: ChildProcess; result: Promise<DaRun> } {
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
  for (const k of ['DA_SERVER', 'DA_TOKEN', 'DA_EMAIL', 'DA_PASSWORD']) if (!o.env?.[k]) delete env[k];
  const child = spawn(process.execPath, [daBin, ...args], { env, cwd: o.cwd ?? o.env?.DA_LOCAL_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
  return { child, result: collect(child, args, o.stdin) };
}

export function runDa(args: string[], o: RunOptions = {}): Promise<DaRun> {
  return spawnDa(args, o).result;
}

function collect(child: ChildProcess, args: string[], stdin: string | undefined): Promise<DaRun> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.stdin!.on('error', () => undefined); // a killed child closes its stdin early
    child.stdin!.end(stdin ?? '');
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`da ${args.join(' ')} printed no JSON (exit ${code}):\n${stdout}\n${stderr}`);
          }
        },
      }),
    );
  });
}
