// One `da sync` per workspace at a time: two would write the same partial files. The lock is
// `.da/sync.lock` holding the owner's pid, created whole in one step (a temp file hard-linked
// into place, which fails if the lock exists); a lock whose process is gone (killed, crashed)
// is moved aside and taken, so an interrupted sync never blocks the next one.
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { CliError } from '../errors.js';
import type { Workspace } from '../workspace.js';

export async function withSyncLock<T>(ws: Workspace, fn: () => Promise<T>): Promise<T> {
  const path = join(dirname(ws.statePath), 'sync.lock');
  await mkdir(dirname(path), { recursive: true });
  const mine = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(mine, String(process.pid));
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(mine, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw e;
        const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        // A lock is only ever created complete, so an unreadable one is being moved by a peer.
        if (!owner || alive(owner)) {
          throw new CliError('usage', `Another da sync${owner ? ` (pid ${owner})` : ''} is running in ${ws.root}`, {
            hint: `wait for it to finish; if no sync is running, delete ${path}`,
          });
        }
        // Moved aside rather than deleted: of two processes taking over, one rename wins.
        await rename(path, `${path}.stale-${randomBytes(4).toString('hex')}`).catch(() => undefined);
        await rmStale(dirname(path));
      }
    }
  } finally {
    await rm(mine, { force: true });
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

async function rmStale(dir: string): Promise<void> {
  for (const n of await readdir(dir)) if (n.startsWith('sync.lock.stale-')) await rm(join(dir, n), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
