import { type AnyPlugin } from '@aida/core';
import { PluginDependencyCycleError, PluginDependencyMissingError } from '../errors.js';

export interface OrderNode {
  /** Id the plugin runs under (may differ from plugin.id when the config renamed it). */
  id: string;
  plugin: AnyPlugin;
}

/**
 * Orders plugins so each initialises after the plugins it depends on: explicitly through
 * `dependsOn`, or implicitly by needing a token another plugin `provides`. Unknown
 * dependencies and cycles stop the boot with a message naming the plugins involved.
 */
export function orderPlugins<N extends OrderNode>(nodes: readonly N[], hostTokens: ReadonlySet<symbol>): N[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const provider = new Map<symbol, string>();
  for (const n of nodes) for (const t of n.plugin.provides ?? []) provider.set(t.symbol, n.id);

  const edges = new Map<string, string[]>();
  const problems: string[] = [];
  for (const n of nodes) {
    const needs = new Set<string>();
    for (const dep of n.plugin.dependsOn ?? []) {
      if (byId.has(dep)) needs.add(dep);
      else problems.push(`plugin '${n.id}' depends on plugin '${dep}', which is not in the config's plugins list`);
    }
    for (const [name, token] of Object.entries(n.plugin.deps ?? {})) {
      if (hostTokens.has(token.symbol)) continue;
      const p = provider.get(token.symbol);
      if (p === undefined) problems.push(`plugin '${n.id}' needs '${token.id}' (deps.${name}), which neither the host nor any listed plugin provides`);
      else if (p !== n.id) needs.add(p);
    }
    edges.set(n.id, [...needs]);
  }
  if (problems.length) throw new PluginDependencyMissingError(problems.join('\n'), { detail: problems });

  const state = new Map<string, 'visiting' | 'done'>();
  const out: N[] = [];
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(id)), id];
      throw new PluginDependencyCycleError(`plugins depend on each other in a cycle: ${cycle.join(' → ')}`, { detail: cycle });
    }
    state.set(id, 'visiting');
    for (const dep of edges.get(id) ?? []) visit(dep, [...path, id]);
    state.set(id, 'done');
    out.push(byId.get(id)!);
  };
  for (const n of nodes) visit(n.id, []);
  return out;
}
