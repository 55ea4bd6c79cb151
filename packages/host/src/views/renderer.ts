import { existsSync, readFileSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import nunjucks from 'nunjucks';

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
  // Times as `2026-01-31 14:05 UTC`: the same for every viewer, whatever the server's locale.
  env.addFilter('datetime', (v: unknown) => {
    const d = v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : null;
    return d && !Number.isNaN(d.getTime()) ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';
  });
  return {
    env,
    render: (name: string, data: Record<string, unknown>) =>
      new Promise<string>((resolve, reject) => env.render(name, data, (err, html) => (err ? reject(err) : resolve(html ?? '')))),
  };
}

export type Renderer = ReturnType<typeof createRenderer>;
