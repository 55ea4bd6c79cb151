import type { z } from 'zod';
import type { ResolvedDeps, Token } from './tokens.js';

/** Version of the plugin contract. The host refuses plugins built for another one. */
export const PLUGIN_API_VERSION = 1;
/** Marker property set by `definePlugin`; the host checks it instead of guessing from the object's shape. */
export const PLUGIN_MARKER = '$$aida' as const;

export const PLUGIN_ID_PATTERN = /^[a-z][a-z0-9-]*$/;

/**
 * What a plugin mainly adds; shown in health and `aida plugins`, and used to order pages.
 * There is no `orchestrator` kind: the host owns the analytics rebuild, and plugins reach it
 * through `tokens.orchestrator` (to request a rebuild), never by replacing it.
 */
export type PluginKind = 'connector' | 'auth' | 'service' | 'extension';

export interface PluginInitContext<C> {
  /** This plugin's config slice, already validated by its schema. */
  readonly config: C;
  /** Id under which the plugin runs (its own id unless the instance config renamed it). */
  readonly pluginId: string;
  /** Registers a value for a token the plugin declared in `provides`, visible to plugins that depend on it. */
  provide<T>(token: Token<T>, value: T): void;
}

export interface PluginOptions<S extends z.ZodType, D extends Record<string, Token<unknown>>> {
  id: string;
  kind: PluginKind;
  /** Human description shown on the home page and in health output. */
  description?: string;
  /** zod schema of the plugin's `config` slice in instance.yaml. */
  config: S;
  /** Tokens to inject into `init`; their types are inferred. */
  deps?: D;
  /** Tokens this plugin makes available to others; plugins needing them initialise after it. */
  provides?: readonly Token<unknown>[];
  /** Plugin ids that must initialise first (beyond what `deps`/`provides` already imply). */
  dependsOn?: readonly string[];
  init(deps: ResolvedDeps<D>, ctx: PluginInitContext<z.output<S>>): Promise<void> | void;
}

export interface PluginDefinition<S extends z.ZodType = z.ZodType, D extends Record<string, Token<unknown>> = Record<string, Token<unknown>>> extends Readonly<
  PluginOptions<S, D>
> {
  readonly [PLUGIN_MARKER]: { readonly apiVersion: number };
}

/** Declares a plugin. The package's default export must be the returned value. */
export function definePlugin<S extends z.ZodType, D extends Record<string, Token<unknown>> = Record<string, never>>(
  options: PluginOptions<S, D>,
): PluginDefinition<S, D> {
  if (!PLUGIN_ID_PATTERN.test(options.id)) {
    throw new Error(`Invalid plugin id ${JSON.stringify(options.id)}: must match ${PLUGIN_ID_PATTERN.source}`);
  }
  return Object.freeze({ ...options, [PLUGIN_MARKER]: Object.freeze({ apiVersion: PLUGIN_API_VERSION }) });
}

/** What the host accepts as a plugin: anything `definePlugin` produced, of any supported API version. */
export type AnyPlugin = PluginDefinition<z.ZodType, Record<string, Token<unknown>>>;
