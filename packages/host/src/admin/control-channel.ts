import { createConnection, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { UnavailableError } from '@aida/core';

/**
 * The live host's control channel: a unix socket in `<dataDir>/run/` (a folder of mode 0700,
 * the socket itself 0600), so only the account that runs the host (and root) can reach it.
 * Operator commands use it to find out whether a host holds a data dir, and `aida backup`
 * asks the host through it for a consistent snapshot, because the system database is locked
 * by the live process and no second process can open it.
 *
 * One JSON object per line each way. A snapshot stays valid (its files held, its staging
 * folder kept) until the client sends `release` or closes the connection.
 */
export function controlSocketPath(dataDir: string): string {
  return join(resolve(dataDir), 'run', 'control.sock');
}

/** Longest socket path Linux takes (sun_path is 108 bytes with its terminating NUL); macOS allows 104. */
export const MAX_SOCKET_PATH = 103;

export const hostStatusSchema = z.object({
  pid: z.number().int(),
  version: z.string(),
  data_dir: z.string(),
  schema_version: z.number().int(),
});
export type HostStatus = z.infer<typeof hostStatusSchema>;

export const snapshotFileSchema = z.object({
  /** Path inside the data dir (posix separators): where restore puts it. */
  name: z.string().min(1),
  /** Absolute path of the bytes to archive: a copy in the staging folder, or the file itself (immutable Parquet). */
  path: z.string().min(1),
});
export type SnapshotFile = z.infer<typeof snapshotFileSchema>;

export const snapshotSchema = z.object({
  data_dir: z.string(),
  /** The folder holding the snapshot (`data/<name>` for each file); the archive's manifest is written beside. */
  staging_dir: z.string(),
  schema_version: z.number().int(),
  /** Where the system tables are: `postgres` means they are not in the snapshot (an older host sends none: duckdb). */
  state_backend: z.enum(['duckdb', 'postgres']).default('duckdb'),
  /** True when a live host made it. */
  live: z.boolean(),
  files: z.array(snapshotFileSchema),
  /** Things left out and why (a symlink, a source folder with an invalid name). */
  warnings: z.array(z.string()),
});
export type SnapshotDescription = z.infer<typeof snapshotSchema>;

export const controlRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('status') }),
  z.object({ op: z.literal('snapshot') }),
  z.object({ op: z.literal('release') }),
]);
export type ControlRequest = z.infer<typeof controlRequestSchema>;

const errorAnswer = z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) });
export const controlAnswerSchema = z.union([
  z.object({ ok: z.literal(true), status: hostStatusSchema }),
  z.object({ ok: z.literal(true), snapshot: snapshotSchema }),
  z.object({ ok: z.literal(true), released: z.literal(true) }),
  errorAnswer,
]);
export type ControlAnswer = z.infer<typeof controlAnswerSchema>;

/** A connection to a live host's control socket. */
export class ControlClient {
  private readonly answers: AsyncIterator<string>;

  private constructor(private readonly socket: Socket) {
    this.answers = createInterface({ input: socket, crlfDelay: Infinity })[Symbol.asyncIterator]();
  }

  /**
   * Connects to the host that holds `dataDir`; undefined when none answers there (no socket,
   * or a stale one a crashed host left behind).
   */
  static async connect(dataDir: string, timeoutMs = 3000): Promise<ControlClient | undefined> {
    const path = controlSocketPath(dataDir);
    if (path.length > MAX_SOCKET_PATH) return undefined;
    const socket = await new Promise<Socket | undefined>((res) => {
      const s = createConnection(path);
      const timer = setTimeout(() => {
        s.destroy();
        res(undefined);
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        res(s);
      });
      s.once('error', () => {
        clearTimeout(timer);
        res(undefined);
      });
    });
    return socket && new ControlClient(socket);
  }

  /** Sends one request and reads its answer; a host that stops meanwhile is an UnavailableError. */
  async ask(request: ControlRequest): Promise<ControlAnswer> {
    this.socket.write(`${JSON.stringify(request)}\n`);
    const line = await this.answers.next();
    if (line.done) throw new UnavailableError('The host closed its control connection (it is stopping?); try again once it runs');
    const answer = controlAnswerSchema.parse(JSON.parse(line.value));
    if (!answer.ok) throw new UnavailableError(`The live host could not do it: ${answer.error.code}: ${answer.error.message}`);
    return answer;
  }

  /** Resolves when the host closes the connection (it stops): a backup in progress is then void. */
  get closed(): Promise<void> {
    return new Promise((res) => {
      if (this.socket.destroyed) res();
      else this.socket.once('close', () => res());
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}

/** The status of the host that holds `dataDir`, or undefined when no host answers there. */
export async function liveHostStatus(dataDir: string): Promise<HostStatus | undefined> {
  const client = await ControlClient.connect(dataDir);
  if (!client) return undefined;
  try {
    const answer = await client.ask({ op: 'status' });
    return 'status' in answer ? answer.status : undefined;
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}
