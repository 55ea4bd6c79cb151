import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PLUGIN_API_VERSION, PLUGIN_MARKER, type AnyPlugin, type ConfigIssue } from '@aida/core';
import { pluginPackageAt } from './installed.js';

/** A plugin definition together with where it came from. */
export interface LoadedPlugin {
  plugin: AnyPlugin;
  /** npm package name, or `(inline)` for plugins passed to createHost as objects. */
  packageName: string;
}

/** Checks the marker `definePlugin` sets; never guesses from the object's shape. */
export function checkPluginDefinition(value: unknown, packageName: string): { plugin?: AnyPlugin; issue?: ConfigIssue } {
  const marker = (value as Record<string, unknown> | null)?.[PLUGIN_MARKER] as { apiVersion?: unknown } | undefined;
  if (!marker) {
    return {
      issue: {
        path: packageName,
        message: `${packageName} does not export an AIDA plugin: its default export must be created with definePlugin() from @aida/core`,
      },
    };
  }
  if (marker.apiVersion !== PLUGIN_API_VERSION) {
    return {
      issue: {
        path: packageName,
        message: `${packageName} was built for AIDA plugin API v${String(marker.apiVersion)}, but this host supports v${PLUGIN_API_VERSION}; install a version of the plugin that matches @aida/host`,
      },
    };
  }
  return { plugin: value as AnyPlugin };
}

/**
 * Imports a plugin package the way the instance sees it: resolved from the instance's
 * folder first (where `npm install` put it), then from the host's own location.
 */
export async function importPlugin(packageName: string, cwd: string): Promise<{ loaded?: LoadedPlugin; issue?: ConfigIssue }> {
  let url: string | undefined;
  try {
    url = pathToFileURL(createRequire(`${cwd}/package.json`).resolve(packageName)).href;
  } catch {
    url = undefined;
  }
  const placeholder = installedWithoutCode(packageName, cwd);
  if (placeholder) {
    const message = `plugin ${packageName} is installed (${placeholder.version}) but has no code: it is not built yet (a placeholder package); remove it from the config until a release ships it`;
    return { issue: { path: packageName, message } };
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(url ?? packageName)) as { default?: unknown };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const notFound = (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && err.message.includes(packageName);
    return {
      issue: {
        path: packageName,
        message: notFound
          ? `plugin ${packageName} is listed in the config but not installed; run: npm install ${packageName}`
          : `plugin ${packageName} could not be loaded: ${err.message}`,
      },
    };
  }
  const { plugin, issue } = checkPluginDefinition(mod.default, packageName);
  return plugin ? { loaded: { plugin, packageName } } : { issue };
}

/** A package that resolves but declares no entry point (a placeholder), with its version. */
function installedWithoutCode(packageName: string, cwd: string): { version: string } | undefined {
  for (const base of [`${cwd}/package.json`, import.meta.url]) {
    let dir: string;
    try {
      dir = dirname(createRequire(base).resolve(`${packageName}/package.json`));
    } catch {
      continue; // not resolvable from here; try the host's own location
    }
    const p = pluginPackageAt(dir);
    return p?.placeholder ? { version: p.version } : undefined;
  }
  return undefined;
}
