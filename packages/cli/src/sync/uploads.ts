// The upload half of `da sync` (step 5 of the reference protocol): agent session transcripts
// in user/sessions/, artifacts in user/artifacts/ and the workspace's CLAUDE.local.md go to
// the server (POST /api/upload/sessions|artifacts|local-md) when they are new or changed
// since the last upload, judged by their MD5 recorded in the sync state.
import { openAsBlob } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Api } from '../api.js';
import { CliError } from '../errors.js';
import type { Workspace } from '../workspace.js';
import type { UploadedFiles } from './state.js';
import { md5File } from './hash.js';
import { mapLimit } from '@aida/core/light';

/** The server's limits (API.md): 50 MB per session or artifact, 1 MB of local notes. */
const MAX_FILE_BYTES = 50 * 1024 * 1024;
const MAX_NOTES_BYTES = 1024 * 1024;

export interface Upload {
  /** Relative to the workspace root. */
  path: string;
  kind: 'sessions' | 'artifacts' | 'local-md';
  hash: string;
  size: number;
  mtime_ms: number;
}

export interface UploadReport {
  uploaded: { path: string; kind: string; bytes: number }[];
  skipped: { path: string; reason: string }[];
  failed: { path: string; error: string; kind: string }[];
}

/**
 * Files that differ from what was last uploaded. A file whose size and mtime are what they
 * were at its upload is not read again (the same quick check downloads get); others are
 * hashed, and sent only if their MD5 changed.
 */
export async function pendingUploads(ws: Workspace, done: Readonly<UploadedFiles>): Promise<{ uploads: Upload[]; skipped: UploadReport['skipped'] }> {
  const candidates: Omit<Upload, 'hash'>[] = [];
  const add = async (abs: string, kind: Upload['kind']) => {
    const st = await stat(abs);
    candidates.push({ path: relative(ws.root, abs).split(sep).join('/'), kind, size: st.size, mtime_ms: st.mtimeMs });
  };
  for (const kind of ['sessions', 'artifacts'] as const) {
    for (const abs of await filesUnder(join(ws.root, 'user', kind))) await add(abs, kind);
  }
  const notes = join(ws.root, 'CLAUDE.local.md');
  if ((await stat(notes).catch(() => undefined))?.isFile()) await add(notes, 'local-md');

  const uploads: Upload[] = [];
  const skipped: UploadReport['skipped'] = [];
  for (const c of candidates) {
    const limit = c.kind === 'local-md' ? MAX_NOTES_BYTES : MAX_FILE_BYTES;
    if (c.size > limit) {
      skipped.push({ path: c.path, reason: `larger than the server's ${limit / 1024 / 1024} MB limit` });
      continue;
    }
    const was = Object.hasOwn(done, c.path) ? done[c.path] : undefined;
    if (was && was.size === c.size && was.mtime_ms === c.mtime_ms) continue;
    const hash = await md5File(join(ws.root, c.path));
    if (was?.hash !== hash) uploads.push({ ...c, hash });
  }
  return { uploads, skipped };
}

/** Uploads each file; `onDone` records one as uploaded the moment the server has it. */
export async function runUploads(api: Api, ws: Workspace, uploads: Upload[], onDone: (u: Upload) => void): Promise<UploadReport> {
  const report: UploadReport = { uploaded: [], skipped: [], failed: [] };
  await mapLimit(uploads, 2, async (u) => {
    try {
      const abs = join(ws.root, u.path);
      if (u.kind === 'local-md') {
        await api.json('/api/upload/local-md', { method: 'POST', body: { content: await readFile(abs, 'utf8') } });
      } else {
        const form = new FormData();
        form.append('file', await openAsBlob(abs), u.path.split('/').pop());
        await api.form(`/api/upload/${u.kind}`, form);
      }
      onDone(u);
      report.uploaded.push({ path: u.path, kind: u.kind, bytes: u.size });
    } catch (e) {
      // A viewer may read but not upload: that is their role, not a failed sync.
      if (e instanceof CliError && e.details.status === 403) report.skipped.push({ path: u.path, reason: 'your role may not upload (analyst or above can)' });
      else report.failed.push({ path: u.path, error: (e as Error).message, kind: e instanceof CliError ? e.kind : 'data' });
    }
  });
  return report;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .filter(
      (p) =>
        !relative(dir, p)
          .split(sep)
          .some((seg) => seg.startsWith('.')),
    )
    .sort();
}
