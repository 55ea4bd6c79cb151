import { HOST_VERSION } from '../version.js';
import { installedPluginPackages } from './installed.js';

export interface PluginListing {
  package: string;
  version: string | null;
  in_config: boolean;
  state: 'built-in' | 'installed' | 'placeholder' | 'not-installed';
}

const BUILT_IN = ['@aida/host/local-files'];

/**
 * `aida plugins`: the plugin packages installed where the instance resolves them, the ones its
 * config names, and which of those are missing or placeholders.
 */
export function listPlugins(cwd: string, configured: readonly string[]): PluginListing[] {
  const named = new Set(configured);
  const out: PluginListing[] = BUILT_IN.map((p) => ({ package: p, version: HOST_VERSION, in_config: named.has(p), state: 'built-in' }));
  for (const p of installedPluginPackages(cwd)) {
    out.push({ package: p.name, version: p.version, in_config: named.has(p.name), state: p.placeholder ? 'placeholder' : 'installed' });
  }
  for (const name of named) if (!out.some((o) => o.package === name)) out.push({ package: name, version: null, in_config: true, state: 'not-installed' });
  return out;
}

/** One line a row, for a terminal. */
export function renderPluginListing(rows: readonly PluginListing[]): string {
  const state = (r: PluginListing) =>
    ({
      'built-in': 'built into @aida/host',
      installed: 'installed',
      placeholder: 'not built yet (placeholder package)',
      'not-installed': `NOT INSTALLED: npm install ${r.package}`,
    })[r.state];
  const cells = rows.map((r) => [r.package, r.version ?? '-', r.in_config ? 'yes' : 'no', state(r)]);
  const head = ['package', 'version', 'in config', 'state'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ')).join('\n');
}
