// Where `da` keeps who you are: `~/.config/da/config.json` (DA_CONFIG_DIR overrides the
// folder), mode 0600 because it holds a bearer token. DA_SERVER and DA_TOKEN override the
// stored server and token, so an agent can run `da` without ever signing in interactively.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import { readJsonFile, writeFileAtomic } from './atomic-file.js';
import { usageError } from './errors.js';

const storedConfig = z.object({
  server: z.string().optional(),
  token: z.string().optional(),
  email: z.string().optional(),
  role: z.string().optional(),
  user_id: z.string().optional(),
  signed_in_at: z.string().optional(),
  /** Set when `da login --pat-days` minted the token: `da logout` revokes it. */
  pat_id: z.string().optional(),
});
export type StoredConfig = z.infer<typeof storedConfig>;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DA_CONFIG_DIR) return env.DA_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'da');
}

export const configPath = (env: NodeJS.ProcessEnv = process.env) => join(configDir(env), 'config.json');

export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<StoredConfig> {
  const path = configPath(env);
  let raw: unknown;
  try {
    raw = await readJsonFile(path);
  } catch (e) {
    throw usageError(`${path} is not valid JSON (${(e as Error).message})`, 'fix or delete it, then run da login again');
  }
  if (raw === undefined) return {};
  const parsed = storedConfig.safeParse(raw);
  if (!parsed.success) throw usageError(`${path} does not look like a da config file`, 'delete it and run da login again');
  return parsed.data;
}

export async function saveConfig(config: StoredConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await writeFileAtomic(configPath(env), `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

export async function clearConfig(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await rm(configPath(env), { force: true });
}

/** The server and token in effect: flags, then environment, then the stored config. */
export interface Connection {
  server: string | undefined;
  token: string | undefined;
}

export function resolveConnection(stored: StoredConfig, flags: { server?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  const server = flags.server ?? env.DA_SERVER ?? stored.server;
  return { server: server ? normalizeServer(server) : undefined, token: env.DA_TOKEN ?? stored.token };
}

export function normalizeServer(url: string): string {
  let u: URL;
  try {
    u = new URL(/^[a-z]+:\/\//i.test(url) ? url : `https://${url}`);
  } catch {
    throw usageError(`'${url}' is not a server URL`, 'pass it like --server https://aida.example.com');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usageError(`'${url}' is not an http(s) URL`);
  return u.toString().replace(/\/+$/, '');
}
