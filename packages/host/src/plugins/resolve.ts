import { PLUGIN_MARKER, SecretRedactor, validateConfig, type AnyPlugin, type ConfigIssue, type EnvSource } from '@aida/core';
import { instanceConfigSchema, type InstanceConfig, type JobOverride } from '../config/schema.js';
import { ConfigInvalidError, PluginNotInstalledError } from '../errors.js';
import { checkPluginDefinition, importPlugin } from './load.js';

/** A plugin passed to createHost as an object (embedding, tests) rather than named in config. */
export interface InlinePluginEntry {
  plugin: AnyPlugin;
  /** Runs the plugin under another id. */
  id?: string;
  config?: unknown;
  jobs?: Record<string, JobOverride>;
}

/** A plugin ready to initialise: definition, the id it runs under, its validated config. */
export interface ResolvedPlugin {
  id: string;
  plugin: AnyPlugin;
  packageName: string;
  config: unknown;
  jobs: Record<string, JobOverride>;
}

export interface ResolvedInstance {
  config: InstanceConfig;
  plugins: ResolvedPlugin[];
}

/**
 * Validates the instance config, imports every listed plugin and validates each plugin's
 * config slice with its own schema. Every problem is collected and reported together, so
 * an admin fixes the config in one pass instead of one error per restart.
 */
export async function resolveInstance(
  rawConfig: unknown,
  inline: readonly (AnyPlugin | InlinePluginEntry)[],
  opts: {
    cwd: string;
    extraIssues?: ConfigIssue[];
    /** Where secret fields (`zSecretEnv`) look their variables up; process.env by default. */
    env?: EnvSource;
    /** Collects the value of every field declared secret: the host's redaction set. */
    secrets?: SecretRedactor;
  },
): Promise<ResolvedInstance> {
  const issues: ConfigIssue[] = [...(opts.extraIssues ?? [])];
  const secrets = opts.secrets ?? new SecretRedactor();
  const scope = { env: opts.env, secrets };
  let notInstalled = 0;
  const parsed = validateConfig(instanceConfigSchema, rawConfig, '', scope);
  const config = parsed.ok ? parsed.value : instanceConfigSchema.parse({});
  if (!parsed.ok) issues.push(...parsed.issues);
  const plugins: ResolvedPlugin[] = [];
  const add = (plugin: AnyPlugin, packageName: string, where: string, entry: { id?: string; config?: unknown; jobs?: Record<string, JobOverride> }) => {
    const v = validateConfig(plugin.config, entry.config, `${where}.config`, scope);
    if (!v.ok) issues.push(...v.issues);
    plugins.push({ id: entry.id ?? plugin.id, plugin, packageName, config: v.ok ? v.value : undefined, jobs: entry.jobs ?? {} });
  };

  const entries = parsed.ok ? config.plugins : rawPluginEntries(rawConfig);
  for (const [i, entry] of entries.entries()) {
    if (entry.enabled === false) continue;
    const where = `plugins[${i}] (${entry.package})`;
    const { loaded, issue } = await importPlugin(entry.package, opts.cwd);
    if (issue) {
      if (issue.message.includes('not installed')) notInstalled++;
      issues.push({ path: where, message: issue.message });
      continue;
    }
    add(loaded!.plugin, entry.package, where, entry);
  }
  for (const [i, item] of inline.entries()) {
    const entry: InlinePluginEntry = 'plugin' in item && !(PLUGIN_MARKER in item) ? item : { plugin: item as AnyPlugin };
    const { plugin, issue } = checkPluginDefinition(entry.plugin, `plugins option [${i}]`);
    if (issue) issues.push(issue);
    else add(plugin!, '(inline)', `plugins option [${i}] (${plugin!.id})`, entry);
  }

  const seen = new Map<string, string>();
  for (const p of plugins) {
    if (seen.has(p.id))
      issues.push({ path: p.packageName, message: `plugin id '${p.id}' is used twice (also by ${seen.get(p.id)}); give one of them another id with 'id:'` });
    seen.set(p.id, p.packageName);
  }

  if (issues.length) {
    const Problem = notInstalled === issues.length ? PluginNotInstalledError : ConfigInvalidError;
    // A message may quote the value it was given: never one a field declared secret.
    const reported = issues.map((i) => ({ path: i.path, message: secrets.redact(i.message) }));
    const lines = reported.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
    throw new Problem(`The instance configuration has ${issues.length} problem${issues.length > 1 ? 's' : ''}:\n${lines}`, {
      detail: reported as unknown as Record<string, unknown>[],
    });
  }
  return { config, plugins };
}

/** Plugin entries of a config that failed validation elsewhere, so their problems are still reported. */
function rawPluginEntries(raw: unknown): { package: string; id?: string; config?: unknown; enabled?: boolean }[] {
  const list = (raw as { plugins?: unknown } | null)?.plugins;
  if (!Array.isArray(list)) return [];
  return list.filter((e): e is { package: string } => typeof e?.package === 'string');
}
