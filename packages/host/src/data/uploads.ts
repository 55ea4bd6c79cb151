import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { body, InputError, type RouteDefinition } from '@aida/core';
import { receiveUpload } from '../http/upload.js';
import type { DataContext } from './context.js';
import { localMdSchema, uploadedSchema } from './schemas.js';
import { NOTES_FILE } from './analyst-notes.js';

export const ANALYST_UPLOAD_MAX_BYTES = 50 * 1024 * 1024;
const analyst = { role: 'analyst' } as const;
const localMdBody = z.object({ content: z.string().max(1024 * 1024, 'content is limited to 1 MB') });

/** A file name safe to keep: letters, digits, `.`, `-`, `_`; nothing that could climb out of the folder. */
function safeName(name: string | undefined, fallback: string): string {
  const cleaned = (name ?? '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 120);
  return cleaned || fallback;
}

/**
 * Analysts' uploads (API.md): agent session transcripts and artifacts (multipart or raw,
 * 50 MB max → 413) kept per user under `uploads/<user>/<kind>/`, and the user's
 * CLAUDE.local.md notes, replaced atomically, for corporate memory to read.
 */
export function uploadRoutes(ctx: DataContext): RouteDefinition[] {
  const fileRoute = (kind: 'sessions' | 'artifacts'): RouteDefinition => ({
    method: 'POST', path: `/api/upload/${kind}`, access: analyst, summary: `Upload ${kind === 'sessions' ? 'an agent session transcript' : 'an artifact'} (50 MB max)`,
    input: { file: kind === 'sessions' ? 'The session transcript' : 'The artifact' },
    output: { status: 201, body: uploadedSchema },
    async handler(c) {
      const dir = join(ctx.dataDir, 'uploads', c.state.user!.id, kind);
      const up = await receiveUpload(c, { dir, maxBytes: ANALYST_UPLOAD_MAX_BYTES });
      try {
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        const name = `${stamp}-${randomBytes(3).toString('hex')}-${safeName(up.filename ?? up.fields.filename, `${kind.slice(0, -1)}.bin`)}`;
        await rename(up.path, join(dir, name));
        c.status = 201;
        c.body = { kind, file: name, size_bytes: up.size, stored_at: new Date().toISOString() };
      } finally {
        await rm(up.path, { force: true });
      }
    },
  });
  return [
    fileRoute('sessions'),
    fileRoute('artifacts'),
    {
      method: 'POST', path: '/api/upload/local-md', access: analyst, summary: "Replace the caller's CLAUDE.local.md notes", input: { body: localMdBody },
      output: { status: 201, body: localMdSchema },
      async handler(c) {
        const { content } = body(c, localMdBody);
        if (content.includes('\0')) throw new InputError('content must be text');
        const dir = join(ctx.dataDir, 'uploads', c.state.user!.id);
        await mkdir(dir, { recursive: true });
        const tmp = join(dir, `.CLAUDE.local.md.${randomBytes(4).toString('hex')}`);
        await writeFile(tmp, content);
        await rename(tmp, join(dir, NOTES_FILE));
        c.status = 201;
        c.body = { file: NOTES_FILE, size_bytes: Buffer.byteLength(content) };
      },
    },
  ];
}
