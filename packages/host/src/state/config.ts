import { z } from 'zod';

/** Where the system tables live. `duckdb` is the embedded default (`state/system.duckdb`). */
export const STATE_BACKENDS = ['duckdb', 'postgres'] as const;
export type StateBackendKind = (typeof STATE_BACKENDS)[number];

/** The `state:` section of instance.yaml. */
export const stateConfigSchema = z
  .object({
    backend: z.enum(STATE_BACKENDS).default('duckdb'),
    /** postgres: the connection string; when not set, read from the variable `url_env` names. */
    url: z.string().min(1).optional(),
    /** postgres: the environment variable holding the connection string (it carries a password: keep it out of the file). */
    url_env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name (A-Z, 0-9, _)')
      .default('AIDA_DATABASE_URL'),
    /** postgres: the schema of the system tables; instances sharing a database each take their own. */
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,39}$/, 'must be a lower-case SQL identifier (a-z, 0-9, _; at most 40 characters)')
      .default('public'),
    /** postgres: connections this host keeps open. */
    pool_size: z.number().int().min(2).max(100).default(4),
  })
  .strict();

export type StateConfig = z.output<typeof stateConfigSchema>;
export type StateConfigInput = z.input<typeof stateConfigSchema>;

/** The connection string of a postgres state backend, or undefined when neither the config nor the environment gives one. */
export function stateUrl(config: StateConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return config.url ?? (env[config.url_env] || undefined);
}
