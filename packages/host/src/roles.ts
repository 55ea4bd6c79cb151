import type { HostRole, InstanceConfig } from './config/schema.js';
import { HOST_ROLES } from './config/schema.js';
import { UnavailableError } from '@aida/core';
import { ConfigInvalidError } from './errors.js';

/**
 * The role this process runs in: `aida serve --role` (or AIDA_ROLE) over `server.role`. A web or
 * worker process shares the instance with others, which the embedded DuckDB state cannot do
 * (one process per file), so those roles need `state.backend: postgres`.
 */
export function hostRole(config: InstanceConfig, override?: string): HostRole {
  const role = override ?? config.server.role;
  if (!(HOST_ROLES as readonly string[]).includes(role)) {
    throw new ConfigInvalidError(`the host role must be one of ${HOST_ROLES.join(', ')}, got ${JSON.stringify(role)}`);
  }
  if (role !== 'all' && config.state.backend !== 'postgres') {
    throw new ConfigInvalidError(
      `role ${role} shares the instance with other hosts, and state/system.duckdb belongs to one process: set state.backend: postgres (docs/deploy.md, Scale out), or run with role all`,
    );
  }
  return role as HostRole;
}

/** True when this process runs the jobs, extractions and rebuilds. */
export function runsJobs(role: HostRole): boolean {
  return role !== 'web';
}

/** What a web host answers a connector's pushed write (a webhook): the worker owns the extracts. */
export function refuseWebPush(source: string): never {
  throw new UnavailableError(
    `this host runs the web role and writes no extracts: send source '${source}' pushes (webhooks) to the worker (docs/deploy.md, Scale out)`,
  );
}
