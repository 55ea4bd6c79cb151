import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * `<dataDir>/run/`: the control socket and backup staging folders. Mode 0700 (set again if
 * it was created otherwise), so only the account that owns the data dir reaches into it:
 * a snapshot there holds password hashes and the session signing secret. Made by root (an
 * operator's `aida backup` of a stopped instance), it is given to the data dir's owner, so
 * the host running as that user can still use it.
 */
export async function prepareRunDir(dataDir: string): Promise<string> {
  const dir = join(resolve(dataDir), 'run');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const owner = await stat(resolve(dataDir));
  const run = await stat(dir);
  const uid = process.getuid?.();
  if ((run.mode & 0o777) !== 0o700 && run.uid === uid) await chmod(dir, 0o700);
  if (uid === 0 && run.uid === 0 && owner.uid !== 0) await chown(dir, owner.uid, owner.gid);
  return dir;
}
