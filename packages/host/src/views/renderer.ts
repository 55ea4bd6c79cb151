import { existsSync, readFileSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import nunjucks from 'nunjucks';
import { formatBytes, formatDateTime, formatNumber, formatRelativeTime } from '@aida/core';

interface Folder {
  /** `''` for the host's own folders, `<pluginId>/` for a plugin's. */
  prefix: string;
  path: string;
}

/**
 * Resolves template names over several folders: the instance's override folder first, then
 * the host's, then each plugin's folder under its `<pluginId>/` namespace. A file at
 * `<override>/<pluginId>/page.njk` therefore replaces that plugin's `page.njk`.
 */
class NamespacedLoader extends nunjucks.Loader implements nunjucks.ILoader {
  constructor(private readonly folders: Folder[]) {
    super();
  }

  getSource(name: string): nunjucks.LoaderSource {
    const rel = normalize(name);
    if (rel.startsWith('..') || rel.startsWith(sep)) throw new Error(`template name escapes the views folders: ${name}`);
    for (const f of this.folders) {
      if (f.prefix && !name.startsWith(f.prefix)) continue;
      const file = join(f.path, f.prefix ? name.slice(f.prefix.length) : name);
      if (existsSync(file)) return { src: readFileSync(file, 'utf8'), path: file, noCache: false };
    }
    throw new Error(`template not found: ${name}`);
  }
}

export function createRenderer(opts: { hostViews: string; overrideDir?: string; pluginFolders: { pluginId: string; path: string }[]; cache: boolean }) {
  const folders: Folder[] = [
    ...(opts.overrideDir ? [{ prefix: '', path: opts.overrideDir }] : []),
    { prefix: '', path: opts.hostViews },
    ...opts.pluginFolders.map((f) => ({ prefix: `${f.pluginId}/`, path: f.path })),
  ];
  const env = new nunjucks.Environment(new NamespacedLoader(folders), { autoescape: true, noCache: !opts.cache, throwOnUndefined: false });
  // One formatting for every page (and the same as `da`'s): see @aida/core's format.ts.
  env.addFilter('datetime', (v: unknown) => {
    const d = asDate(v);
    return d ? formatDateTime(d) : '';
  });
  env.addFilter('ago', (v: unknown) => {
    const d = asDate(v);
    return d ? formatRelativeTime(d) : '';
  });
  env.addFilter('bytes', (v: unknown) => (typeof v === 'number' || typeof v === 'bigint' ? formatBytes(Number(v)) : ''));
  env.addFilter('number', (v: unknown) => (typeof v === 'number' || typeof v === 'bigint' ? formatNumber(v) : ''));
  env.addFilter('percent', (v: unknown) => (typeof v === 'number' ? `${formatNumber(Math.round(v * 1000) / 10)}%` : ''));
  env.addFilter('isodate', (v: unknown) => asDate(v)?.toISOString() ?? '');
  return {
    env,
    render: (name: string, data: Record<string, unknown>) =>
      new Promise<string>((resolve, reject) => env.render(name, data, (err, html) => (err ? reject(err) : resolve(html ?? '')))),
  };
}

function asDate(v: unknown): Date | null {
  const d = v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

export type Renderer = ReturnType<typeof createRenderer>;
