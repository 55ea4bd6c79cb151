// One issue as Jira has it now, with everything attached: the issue (fields=*all, changelog
// expanded), its whole comment thread (the issue embeds only the newest 100), its whole
// changelog, its remote links (a failed fetch keeps the stored rows) and, when enabled, its
// attachments' bytes. Never the webhook's body: Jira's webhook bodies lack comments and
// changelogs, so they are only a signal that something changed.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JiraApi } from '../client/types.js';
import type { IssueDocument } from '../transform/index.js';

export interface RefetchOptions {
  /** Where attachment bytes go: `<attachmentsDir>/<KEY>/<id>_<filename>`; undefined: metadata only. */
  attachmentsDir?: string;
  maxAttachmentBytes: number;
  /** Told of an attachment not saved (too large, not on the site). */
  onSkippedAttachment?: (key: string, attachmentId: string, reason: string) => void;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Null when Jira answers 404 for the issue (deleted, moved out of reach): there is nothing to write. */
export async function refetchIssue(api: JiraApi, key: string, o: RefetchOptions, signal: AbortSignal): Promise<IssueDocument | null> {
  const issue = await api.getIssue(key, signal);
  if (issue === null) return null;
  const syncedAt = new Date();
  const fields = obj(obj(issue).fields);
  const [comments, histories, remoteLinks] = await Promise.all([
    complete(obj(fields.comment), 'comments', () => api.getComments(key, signal)),
    complete(obj(obj(issue).changelog), 'histories', () => api.getChangelog(key, signal)),
    api.getRemoteLinks(key, signal),
  ]);
  const attachmentPaths = o.attachmentsDir ? await saveAttachments(api, key, list(fields.attachment), o, signal) : undefined;
  return { issue, comments, histories, remoteLinks, attachmentPaths, syncedAt };
}

/** The embedded list when it is whole (`total` ≤ its length), else every page from the start. */
async function complete(embedded: Json, field: string, page: () => Promise<unknown[]>): Promise<readonly unknown[]> {
  const items = list(embedded[field]);
  const total = typeof embedded.total === 'number' ? embedded.total : undefined;
  if (total !== undefined && items.length >= total) return items;
  return page();
}

const SAFE_NAME = /[^A-Za-z0-9._-]+/g;

/**
 * Downloads each attachment not already stored with its size (attachment ids are immutable), and
 * returns where each stored one lies, relative to the source folder.
 */
async function saveAttachments(api: JiraApi, key: string, attachments: unknown[], o: RefetchOptions, signal: AbortSignal): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (const a of attachments.map(obj)) {
    const id = typeof a.id === 'string' || typeof a.id === 'number' ? String(a.id) : undefined;
    if (!id || !/^\d{1,20}$/.test(id) || typeof a.content !== 'string') continue;
    const name = `${id}_${
      String(a.filename ?? 'file')
        .replace(SAFE_NAME, '_')
        .replace(/^\.+/, '')
        .slice(0, 120) || 'file'
    }`;
    const relative = join('attachments', key, name);
    const dest = join(o.attachmentsDir!, key, name);
    const size = typeof a.size === 'number' ? a.size : undefined;
    if (size !== undefined && (await sizeOf(dest)) === size) {
      paths.set(id, relative);
      continue;
    }
    if (size !== undefined && size > o.maxAttachmentBytes) {
      o.onSkippedAttachment?.(key, id, `larger than attachments.max_bytes (${size} bytes)`);
      continue;
    }
    const r = await api.downloadAttachment(a.content, dest, o.maxAttachmentBytes, signal);
    if (r.saved) paths.set(id, relative);
    else o.onSkippedAttachment?.(key, id, r.reason);
  }
  return paths;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
