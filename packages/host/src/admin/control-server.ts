import { chmod, readdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { isAidaError } from '@aida/core';
import { controlRequestSchema, controlSocketPath, MAX_SOCKET_PATH, type ControlAnswer, type HostStatus } from './control-channel.js';
import { prepareRunDir } from './run-dir.js';
import type { TakenSnapshot } from './snapshot.js';

export interface ControlServerOptions {
  dataDir: string;
  logger: Logger;
  status(): HostStatus;
  /** Takes a consistent snapshot of the live instance (see takeSnapshot). */
  snapshot(): Promise<TakenSnapshot>;
}

/** The host's end of the control channel (see control-channel.ts). */
export interface ControlServer {
  readonly path: string;
  /** Stops listening; open snapshots are released, so a backup still reading them fails rather than archiving a stopped instance half-way. */
  close(): Promise<void>;
}

/**
 * Listens on `<dataDir>/run/control.sock`. Runs only once the host holds the system database's
 * lock, so a socket or backup staging folder already there is a crashed host's: both are removed.
 * Returns undefined (with a warning) where the socket cannot be made, e.g. a data dir path too
 * long for a unix socket: the host still runs, `aida backup` then says it cannot reach it.
 */
export async function startControlServer(o: ControlServerOptions): Promise<ControlServer | undefined> {
  const log = o.logger.child({ component: 'control' });
  const path = controlSocketPath(o.dataDir);
  const runDir = await prepareRunDir(o.dataDir);
  for (const entry of await readdir(runDir)) {
    if (!entry.startsWith('backup-') && entry !== 'control.sock') continue;
    // A leftover another user made (root's backup that crashed) must not stop the host from starting.
    await rm(join(runDir, entry), { recursive: true, force: true }).catch((e: unknown) => log.warn({ err: e, entry }, 'cannot remove a leftover in run/'));
  }
  if (path.length > MAX_SOCKET_PATH) {
    log.warn({ path }, `no control socket: ${path} is longer than a unix socket path may be; aida backup cannot reach this host (use a shorter data dir path)`);
    return undefined;
  }
  /** Each connection with a promise that settles once it closed and released what it held. */
  const connections = new Map<Socket, Promise<void>>();
  const server: Server = createServer((socket) => {
    let snapshot: TakenSnapshot | undefined;
    let pending: Promise<unknown> = Promise.resolve();
    const release = () => {
      const taken = snapshot;
      snapshot = undefined;
      if (!taken) return Promise.resolve();
      return taken.release().catch((e: unknown) => log.warn({ err: e }, 'removing a backup snapshot failed'));
    };
    const answer = (a: ControlAnswer) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(a)}\n`);
    };
    connections.set(
      socket,
      new Promise<void>((done) =>
        socket.once('close', () => {
          // After whatever request was running: a snapshot finished after the client left is released too.
          void pending
            .then(release)
            .finally(() => connections.delete(socket))
            .then(done);
        }),
      ),
    );
    socket.on('error', () => undefined);
    createInterface({ input: socket, crlfDelay: Infinity }).on('line', (line) => {
      pending = pending.then(async () => {
        try {
          const request = controlRequestSchema.parse(JSON.parse(line));
          if (request.op === 'status') return answer({ ok: true, status: o.status() });
          if (request.op === 'release') {
            await release();
            return answer({ ok: true, released: true });
          }
          if (snapshot) throw new Error('this connection already holds a snapshot; release it first');
          const started = performance.now();
          snapshot = await o.snapshot();
          const { files, warnings } = snapshot.description;
          log.info({ files: files.length, warnings, duration_ms: Math.round(performance.now() - started) }, 'backup snapshot taken');
          return answer({ ok: true, snapshot: snapshot.description });
        } catch (e) {
          log.warn({ err: e }, 'control request failed');
          answer({ ok: false, error: { code: isAidaError(e) ? e.code : 'ERROR', message: (e as Error).message } });
        }
      });
    });
  });
  server.on('error', (e) => log.warn({ err: e }, 'control socket error'));
  try {
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(path, () => res());
    });
    await chmod(path, 0o600);
  } catch (e) {
    log.warn({ err: e, path }, 'no control socket: aida backup cannot reach this host');
    server.close();
    return undefined;
  }
  log.debug({ path }, 'control socket listening');
  return {
    path,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      const open = [...connections.values()];
      for (const s of connections.keys()) s.destroy();
      await Promise.all([closed, ...open]);
      await rm(path, { force: true });
    },
  };
}
