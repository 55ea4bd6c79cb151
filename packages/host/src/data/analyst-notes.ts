import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalystNote, AnalystNotes } from '@aida/core';

/** The notes file `POST /api/upload/local-md` keeps per user, under `<data>/uploads/<userId>/`. */
export const NOTES_FILE = 'CLAUDE.local.md';

/** Every uploaded notes file of a user who still exists, for plugins that learn from them (corporate memory). */
export function analystNotes(dataDir: string, emailOf: (userId: string) => string | undefined): AnalystNotes {
  return {
    async list() {
      const root = join(dataDir, 'uploads');
      const users = await readdir(root, { withFileTypes: true }).catch(() => []);
      const notes: AnalystNote[] = [];
      for (const dir of users) {
        const email = dir.isDirectory() ? emailOf(dir.name) : undefined;
        if (!email) continue;
        const file = join(root, dir.name, NOTES_FILE);
        const info = await stat(file).catch(() => undefined);
        if (!info?.isFile()) continue;
        const content = await readFile(file, 'utf8');
        notes.push({ userId: dir.name, email, content, sha256: createHash('sha256').update(content).digest('hex'), updatedAt: info.mtime });
      }
      return notes.sort((a, b) => a.email.localeCompare(b.email));
    },
  };
}
