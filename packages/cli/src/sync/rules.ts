// Corporate memory delivered to the analyst's agent: the bundle of `GET /api/memory/bundle`
// becomes `.claude/rules/km_<id>.md` (one per required note) and `.claude/rules/km_approved.md`
// (the approved rollup). Files named `km_*.md` there are ours and are rewritten or pruned to
// match the bundle; every other file in the folder belongs to the analyst and is never touched.
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Api } from '../api.js';
import { writeFileAtomic } from '../atomic-file.js';
import { CliError, dataError, type ErrorKind } from '../errors.js';

/** Where the rules go, relative to the workspace root (Claude Code reads this folder). */
export const RULES_DIR = join('.claude', 'rules');

const bundleItem = z.object({
  id: z.string(),
  title: z.string(),
  content: z.string(),
  category: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export const memoryBundle = z.object({
  required: z.array(bundleItem),
  approved: z.array(bundleItem),
  token_estimate: z.number().optional(),
  token_budget: z.number().optional(),
});
export type MemoryBundle = z.infer<typeof memoryBundle>;
export type BundleItem = z.infer<typeof bundleItem>;

/** The id becomes a file name: only these, so no id can name a path outside the folder. */
export const RULE_ID = /^[a-zA-Z0-9_-]{1,128}$/;
const ROLLUP = 'km_approved.md';
const OURS = /^km_.+\.md$/;
const TITLE_MAX = 200;

export interface RulesReport {
  /** Paths relative to the workspace root, e.g. `.claude/rules/km_42.md`. */
  written: string[];
  updated: string[];
  removed: string[];
  unchanged: string[];
  /** Required notes not written, with why (the caller warns). */
  skipped: { id: string; reason: string }[];
}

/** What `da sync --json` reports as `rules`. */
export type RulesResult =
  | { available: false }
  | ({ available: true; dir: string } & RulesReport)
  /** Not refreshed: the files already there are left as they are. `available` is null when the server did not answer. */
  | { available: boolean | null; dir: string; error: string; kind: ErrorKind };

/**
 * The caller's bundle, or undefined when the server has no corporate memory (no memory
 * plugin: the route is a 404). Anything else that goes wrong is thrown.
 */
export async function fetchBundle(api: Api): Promise<MemoryBundle | undefined> {
  let raw: unknown;
  try {
    raw = await api.json<unknown>('/api/memory/bundle');
  } catch (e) {
    if (e instanceof CliError && e.details.status === 404) return undefined;
    throw e;
  }
  const parsed = memoryBundle.safeParse(raw);
  if (!parsed.success) throw dataError(`The server's memory bundle is not in the expected shape (${parsed.error.issues[0]?.message ?? 'unknown'})`);
  return parsed.data;
}

/**
 * Fetches the bundle (or takes `fetched`, the caller's fetchBundle started earlier) and writes
 * it; a failure is reported in the result, never thrown.
 */
export async function syncRules(api: Api, workspaceRoot: string, o: WriteRulesOptions = {}, fetched?: Promise<MemoryBundle | undefined>): Promise<RulesResult> {
  try {
    const bundle = await (fetched ?? fetchBundle(api));
    if (!bundle) return { available: false };
    return { available: true, dir: RULES_DIR, ...(await writeRules(workspaceRoot, bundle, { server: api.server, ...o })) };
  } catch (e) {
    const kind = e instanceof CliError ? e.kind : 'data'; // a filesystem error (disk full) is a data error, as elsewhere in da sync
    return { available: kind === 'network' ? null : true, dir: RULES_DIR, error: (e as Error).message, kind };
  }
}

export interface WriteRulesOptions {
  /** Named in the provenance header. */
  server?: string;
  /** The date in the header; today by default. */
  now?: Date;
  /** Work out the report, change nothing (`da sync --dry-run`). */
  dryRun?: boolean;
}

/**
 * Brings `<workspaceRoot>/.claude/rules/km_*.md` in line with `bundle`: writes what is new,
 * rewrites what changed (atomically), removes what the bundle no longer has. A file whose only
 * difference is the regeneration date in its header is left as it is.
 */
export async function writeRules(workspaceRoot: string, bundle: MemoryBundle, o: WriteRulesOptions = {}): Promise<RulesReport> {
  const dir = join(workspaceRoot, RULES_DIR);
  const date = (o.now ?? new Date()).toISOString().slice(0, 10);
  const server = o.server ?? 'the AIDA server';
  const { files, skipped } = renderRules(bundle, server, date);
  const report: RulesReport = { written: [], updated: [], removed: [], unchanged: [], skipped };
  const rel = (name: string) => join(RULES_DIR, name);

  // Removals first: on a case-insensitive disk `km_Abc.md` and `km_abc.md` are one file, and
  // removing the stale spelling after writing the new one would delete what was just written.
  for (const name of await ourFiles(dir)) {
    if (files.has(name)) continue;
    if (!o.dryRun) await rm(join(dir, name), { force: true });
    report.removed.push(rel(name));
  }
  for (const [name, content] of files) {
    const path = join(dir, name);
    const before = await readIfFile(path);
    if (before !== undefined && withoutDate(before) === withoutDate(content)) {
      report.unchanged.push(rel(name));
      continue;
    }
    // writeFileAtomic creates the folder: only ever reached when there is something to write.
    if (!o.dryRun) await writeFileAtomic(path, content);
    (before === undefined ? report.written : report.updated).push(rel(name));
  }
  return report;
}

/** The files the bundle makes, by name, and the required notes that cannot be files. */
export function renderRules(bundle: MemoryBundle, server: string, date: string): { files: Map<string, string>; skipped: RulesReport['skipped'] } {
  const files = new Map<string, string>();
  const skipped: RulesReport['skipped'] = [];
  // Lower-cased names: two ids differing only in case are one file on macOS and Windows.
  const taken = new Set([ROLLUP]);
  const requiredIds = new Set<string>();
  for (const item of bundle.required) {
    const id = item.id;
    if (!RULE_ID.test(id)) {
      skipped.push({ id: flatten(id, 140), reason: 'its id cannot be used as a file name (letters, digits, _ and - only, at most 128)' });
      continue;
    }
    const name = `km_${id}.md`;
    if (taken.has(name.toLowerCase())) {
      skipped.push({ id, reason: `its file name ${name} is already taken by another note (ids differing only in case are one file on some disks)` });
      continue;
    }
    taken.add(name.toLowerCase());
    requiredIds.add(id);
    files.set(name, document(server, 'required', [item], date));
  }
  // A note the server lists under both keeps only its own required file.
  const approved = bundle.approved.filter((i) => !requiredIds.has(i.id));
  if (approved.length) files.set(ROLLUP, document(server, 'approved', approved, date));
  return { files, skipped };
}

function document(server: string, kind: 'required' | 'approved', items: BundleItem[], date: string): string {
  // One line, and `>` escaped so that no server name can close the comment.
  const from = flatten(server, 300).replaceAll('>', '%3E');
  const n = `${items.length} ${items.length === 1 ? 'note' : 'notes'}`;
  const header = `<!-- corporate memory from ${from}, ${kind}, ${n} written by colleagues and reproduced verbatim, regenerated by da sync on ${date}; edits here are overwritten -->`;
  return `${header}\n\n${items.map(block).join('\n\n')}\n`;
}

function block(item: BundleItem): string {
  const credit = [
    `note ${flatten(item.id, 140)}`,
    item.category ? `category ${flatten(item.category, 80)}` : undefined,
    item.updated_at ? `updated ${day(item.updated_at)}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const title = flatten(item.title, TITLE_MAX) || '(untitled)';
  return `## ${title}\n\n_Corporate memory ${credit}._\n\n${item.content.replace(/\s+$/, '')}`;
}

/**
 * One line of at most `max` characters: control characters and line or paragraph separators
 * become spaces, so a title cannot start a heading or a credit line of its own.
 */
export function flatten(text: string, max: number = TITLE_MAX): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
  const one = text.replace(controls, ' ').replace(/\s+/g, ' ').trim();
  const chars = Array.from(one); // code points: a cut never splits a surrogate pair
  return chars.length <= max ? one : `${chars.slice(0, max - 1).join('')}…`;
}

function day(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : flatten(iso, 40);
}

/** The header's regeneration date does not count as a change. */
function withoutDate(content: string): string {
  const nl = content.indexOf('\n');
  const header = nl < 0 ? content : content.slice(0, nl);
  return header.replace(/regenerated by da sync on \d{4}-\d{2}-\d{2}/, 'regenerated by da sync') + (nl < 0 ? '' : content.slice(nl));
}

/** `km_*.md` entries of the folder that are files or links (a directory of that name is not ours). */
async function ourFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
  const ours: string[] = [];
  for (const name of names.filter((n) => OURS.test(n)).sort()) {
    const s = await lstat(join(dir, name));
    if (s.isFile() || s.isSymbolicLink()) ours.push(name);
  }
  return ours;
}

async function readIfFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}
