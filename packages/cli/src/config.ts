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
  /** Set when the server URL in effect came without a scheme and `da` chose one. */
  schemeAssumed?: { given: string; from: '--server' | 'DA_SERVER' | 'the config file' };
}

export function resolveConnection(stored: StoredConfig, flags: { server?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  type Source = NonNullable<Connection['schemeAssumed']>['from'];
  const [given, from]: [string | undefined, Source] =
    flags.server !== undefined ? [flags.server, '--server'] : env.DA_SERVER !== undefined ? [env.DA_SERVER, 'DA_SERVER'] : [stored.server, 'the config file'];
  const token = env.DA_TOKEN ?? stored.token;
  if (!given) return { server: undefined, token };
  const { url, assumed } = parseServer(given);
  return { server: url, token, ...(assumed ? { schemeAssumed: { given, from } } : {}) };
}

export function normalizeServer(url: string): string {
  return parseServer(url).url;
}

/**
 * A server URL without trailing slashes. Without a scheme, a loopback host gets http:// (a
 * server on this machine rarely has a certificate: `da login --server localhost:8000` must
 * just work) and any other host https:// (never send a token in clear text across a network
 * by guessing); `assumed` says one was chosen, so the caller can tell which.
 */
export function parseServer(given: string): { url: string; assumed: boolean } {
  const assumed = !/^[a-z][a-z0-9+.-]*:\/\//i.test(given);
  let withScheme = given;
  if (assumed) {
    // The bare IPv6 loopback is written without the brackets a URL needs.
    const bare = given.replace(/^::1(?=$|\/)/, '[::1]');
    let host: string;
    try {
      host = new URL(`http://${bare}`).hostname;
    } catch {
      throw usageError(`'${given}' is not a server URL`, 'pass it like --server https://aida.example.com');
    }
    withScheme = `${isLoopbackHost(host) ? 'http' : 'https'}://${bare}`;
  }
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw usageError(`'${given}' is not a server URL`, 'pass it like --server https://aida.example.com');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usageError(`'${given}' is not an http(s) URL`);
  return { url: u.toString().replace(/\/+$/, ''), assumed };
}

/** localhost (and names under it, RFC 6761), 127.0.0.0/8 and ::1, as URL.hostname spells them. */
function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '[::1]';
}
