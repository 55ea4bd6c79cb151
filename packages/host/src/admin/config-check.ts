import { resolve } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import { logFormat } from '../logging/logger.js';
import { resolveInstance } from '../plugins/resolve.js';

export interface ConfigCheckOutcome {
  /** The file checked; null when there is none (the host would run the demo instance). */
  path: string | null;
  plugins: { id: string; package: string }[];
  data_dir: string;
  jobs_backend: string;
}

/**
 * `aida config check`: what boot validates, without starting anything: the YAML, unset `${ENV}`
 * references, every field of the host's and each plugin's schema, secret variables, plugins that
 * are not installed, AIDA_LOG_FORMAT. Throws the error boot would throw (same code, same message
 * listing every problem); nothing is connected to and no data dir is opened.
 */
export async function checkConfig(path: string, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<ConfigCheckOutcome> {
  logFormat(env.AIDA_LOG_FORMAT);
  const file = await loadConfigFile(path, env);
  const { config, plugins } = await resolveInstance(file?.raw, [], { cwd, extraIssues: file?.issues, env });
  return {
    path: file ? file.path : null,
    plugins: plugins.map((p) => ({ id: p.id, package: p.packageName })),
    data_dir: resolve(env.AIDA_DATA_DIR || config.data_dir || './data'),
    jobs_backend: config.jobs.backend,
  };
}
