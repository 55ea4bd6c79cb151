import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { interpolateEnv, type ConfigIssue } from '@aida/core';
import { ConfigInvalidError } from '../errors.js';

export interface LoadedConfigFile {
  path: string;
  /** Parsed YAML with `${ENV}` references replaced; still unvalidated. */
  raw: Record<string, unknown>;
  /** Env references that were unset (no default): reported with the other config problems. */
  issues: ConfigIssue[];
}

/** Default location: `config/instance.yaml` under the working directory, overridable by AIDA_CONFIG. */
export function configPath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.AIDA_CONFIG || `${cwd}/config/instance.yaml`;
}

/** Reads instance.yaml; returns null when the file does not exist (the host then runs the demo). */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfigFile | null> {
  if (!existsSync(path)) return null;
  let doc: unknown;
  try {
    doc = parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new ConfigInvalidError(`${path} is not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigInvalidError(`${path} must hold a YAML mapping (key: value pairs) at the top level`);
  }
  const { value, missing } = interpolateEnv(doc as Record<string, unknown>, env);
  return {
    path,
    raw: value,
    issues: missing.map((m) => ({ path: m.path, message: `environment variable ${m.variable} is not set` })),
  };
}
