// One `da sync` per workspace at a time: two would write the same partial files. The lock is
// `.da/sync.lock` holding the owner's pid; a lock whose process is gone (killed, crashed) is
// taken over at once, so an interrupted sync never blocks the next one.
import { open, readFile, rm, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CliError } from '../errors.js';
import type { Workspace } from '../workspace.js';

export async function withSyncLock<T>(ws: Workspace, fn: () => Promise<T>): Promise<T> {
  const path = join(dirname(ws.statePath), 'sync.lock');
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (owner && owner !== process.pid && alive(owner)) {
        throw new CliError('usage', `Another da sync (pid ${owner}) is running in ${ws.root}`, { hint: 'wait for it to finish' });
      }
      await rm(path, { force: true }); // its owner is gone
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
