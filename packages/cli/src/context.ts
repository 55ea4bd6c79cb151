// What every command gets: the output mode, the stored config, the server and token in
// effect (flags > DA_SERVER/DA_TOKEN > config) and the workspace.
import { Api } from './api.js';
import { CliError, usageError } from './errors.js';
import { loadConfig, resolveConnection, type Connection, type StoredConfig } from './config.js';
import { Output } from './output.js';
import { workspace, type Workspace } from './workspace.js';

export interface GlobalFlags {
  server?: string;
  json?: boolean;
}

export class Context {
  private constructor(
    readonly out: Output,
    readonly stored: StoredConfig,
    readonly connection: Connection,
    readonly ws: Workspace,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Promise<Context> {
    const out = new Output(Boolean(flags.json));
    const stored = await loadConfig(env);
    const connection = resolveConnection(stored, flags, env);
    // Said on stderr (with --json too): a guessed scheme is the first suspect when a request fails.
    if (connection.schemeAssumed) {
      const { given, from } = connection.schemeAssumed;
      out.note(`${from} '${given}' has no scheme; using ${connection.server} (http:// for a loopback address, https:// for any other host)`);
    }
    return new Context(out, stored, connection, workspace(env), env);
  }

  /**
   * A client for the server in effect; `auth` (default) also requires a token. `retries` and
   * `timeoutMs` override DA_RETRIES and cap DA_TIMEOUT_MS, for a quick look that must not wait.
   */
  api(o: { auth?: boolean; server?: string; token?: string; retries?: number; timeoutMs?: number } = {}): Api {
    const server = o.server ?? this.connection.server;
    if (!server) throw usageError('No server configured', 'run da login --server https://your-aida-host, or set DA_SERVER');
    const token = o.token ?? this.connection.token;
    if ((o.auth ?? true) && !token) throw new CliError('auth', 'Not signed in', { hint: 'run da login, or set DA_TOKEN to a personal access token' });
    const timeoutMs = this.envNumber('DA_TIMEOUT_MS', 1);
    return new Api({
      server,
      token,
      timeoutMs: o.timeoutMs === undefined ? timeoutMs : Math.min(o.timeoutMs, timeoutMs ?? o.timeoutMs),
      retries: o.retries ?? this.envNumber('DA_RETRIES', 0),
      backoffMs: this.envNumber('DA_BACKOFF_MS', 0),
    });
  }

  /** A whole-number setting from the environment (undefined when unset); anything else is a usage error. */
  envNumber(name: string, min: number): number | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw usageError(`${name} must be a whole number ≥ ${min}, not '${raw}'`);
    return n;
  }
}
