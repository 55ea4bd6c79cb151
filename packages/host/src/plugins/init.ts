import { tokens, type PluginDatabase, type Token } from '@aida/core';
import { PluginInitFailedError } from '../errors.js';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { Contributions } from './registries.js';
import type { ResolvedPlugin } from './resolve.js';

/**
 * Initialises plugins in the order given. Each gets a child container holding registries
 * scoped to it and a logger tagged with its id; only what a plugin declares in `provides`
 * reaches the root container. An override (a test's stub, already in the root) wins over
 * both: a plugin depending on the token sees the stub, whoever would have provided it.
 */
export async function initPlugins(o: {
  plugins: readonly ResolvedPlugin[];
  root: DependencyContainer;
  contributions: Contributions;
  logger: Logger;
  status: Map<string, string>;
  overrides?: ReadonlyMap<symbol, unknown>;
  /** The plugin's view of the system database. */
  database: (pluginId: string) => PluginDatabase;
}): Promise<void> {
  const overrides = o.overrides ?? new Map<symbol, unknown>();
  for (const p of o.plugins) {
    const child = o.root.createChildContainer();
    const scoped = o.contributions.scoped(p.id, p.jobs);
    const local = <T>(token: Token<T>, value: T) =>
      child.register(token.symbol, { useValue: overrides.has(token.symbol) ? overrides.get(token.symbol) : value });
    local(tokens.logger, o.logger.child({ plugin: p.id }));
    local(tokens.connectors, scoped.connectors);
    local(tokens.routes, scoped.routes);
    local(tokens.jobs, scoped.jobs);
    local(tokens.views, scoped.views);
    local(tokens.services, scoped.services);
    local(tokens.authProviders, scoped.authProviders);
    local(tokens.database, o.database(p.id));
    const deps = Object.fromEntries(Object.entries(p.plugin.deps ?? {}).map(([k, t]) => [k, child.resolve(t.symbol)]));
    const declared = new Set((p.plugin.provides ?? []).map((t) => t.symbol));
    try {
      await p.plugin.init(deps as never, {
        config: p.config,
        pluginId: p.id,
        provide: <T>(token: Token<T>, value: T) => {
          if (!declared.has(token.symbol)) throw new Error(`plugin '${p.id}' provides '${token.id}' without declaring it in 'provides'`);
          if (!overrides.has(token.symbol)) o.root.register(token.symbol, { useValue: value });
        },
      });
      o.status.set(p.id, 'running');
    } catch (e) {
      o.status.set(p.id, 'failed');
      // The cause keeps the plugin's own error, stack and all, for the boot log.
      throw new PluginInitFailedError(`plugin '${p.id}' (${p.packageName}) failed to initialise: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}
