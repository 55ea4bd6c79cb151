import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a plugin package says about itself in its package.json. */
export interface PluginPackage {
  name: string;
  version: string;
  /** Folder of the package. */
  path: string;
  /** True when the package declares no entry point: a placeholder that is not built yet. */
  placeholder: boolean;
}

interface Manifest {
  name?: string;
  version?: string;
  main?: string;
  exports?: unknown;
  aida?: { plugin?: boolean };
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** The package.json facts of an AIDA plugin package folder, or undefined when it is not one. */
export function pluginPackageAt(dir: string): PluginPackage | undefined {
  const m = readManifest(dir);
  if (!m?.name || m.aida?.plugin !== true) return undefined;
  return { name: m.name, version: m.version ?? 'no version', path: dir, placeholder: m.main === undefined && m.exports === undefined };
}

/**
 * Every package marked `"aida": { "plugin": true }` in the node_modules folders Node would
 * resolve from `cwd` (that folder and its parents), nearest first; a name is listed once.
 */
export function installedPluginPackages(cwd: string): PluginPackage[] {
  const found = new Map<string, PluginPackage>();
  for (let dir = cwd; ; dir = dirname(dir)) {
    const modules = join(dir, 'node_modules');
    if (existsSync(modules)) {
      for (const entry of readdirSync(modules)) {
        const folders = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => join(modules, entry, n)) : [join(modules, entry)];
        for (const folder of folders) {
          const p = pluginPackageAt(folder);
          if (p && !found.has(p.name)) found.set(p.name, p);
        }
      }
    }
    if (dirname(dir) === dir) break;
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}
