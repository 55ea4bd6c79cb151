import { StartupError, tokens, type Token } from '@aida/core';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { Contributions } from './registries.js';
import type { ResolvedPlugin } from './resolve.js';

/**
 * Initialises plugins in the order given. Each gets a child container holding registries
 * scoped to it and a logger tagged with its id; only what a plugin declares in `provides`
 * reaches the root container.
 */
export async function initPlugins(o: {
  plugins: readonly ResolvedPlugin[];
  root: DependencyContainer;
  contributions: Contributions;
  logger: Logger;
  status: Map<string, string>;
}): Promise<void> {
  for (const p of o.plugins) {
    const child = o.root.createChildContainer();
    const scoped = o.contributions.scoped(p.id, p.jobs);
    child.register(tokens.logger.symbol, { useValue: o.logger.child({ plugin: p.id }) });
    child.register(tokens.connectors.symbol, { useValue: scoped.connectors });
    child.register(tokens.routes.symbol, { useValue: scoped.routes });
    child.register(tokens.jobs.symbol, { useValue: scoped.jobs });
    child.register(tokens.views.symbol, { useValue: scoped.views });
    child.register(tokens.services.symbol, { useValue: scoped.services });
    child.register(tokens.authProviders.symbol, { useValue: scoped.authProviders });
    const deps = Object.fromEntries(Object.entries(p.plugin.deps ?? {}).map(([k, t]) => [k, child.resolve(t.symbol)]));
    const declared = new Set((p.plugin.provides ?? []).map((t) => t.symbol));
    try {
      await p.plugin.init(deps as never, {
        config: p.config,
        pluginId: p.id,
        provide: <T>(token: Token<T>, value: T) => {
          if (!declared.has(token.symbol)) throw new Error(`plugin '${p.id}' provides '${token.id}' without declaring it in 'provides'`);
          o.root.register(token.symbol, { useValue: value });
        },
      });
      o.status.set(p.id, 'running');
    } catch (e) {
      o.status.set(p.id, 'failed');
      throw new StartupError('AIDA_PLUGIN_INIT_FAILED', `plugin '${p.id}' (${p.packageName}) failed to initialise: ${(e as Error).message}`);
    }
  }
}
