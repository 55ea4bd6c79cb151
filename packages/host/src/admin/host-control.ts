import { betweenCommits } from '@aida/core';
import type { Logger } from 'pino';
import type { AnalyticsDb } from '../analytics/analytics-db.js';
import type { SystemDb } from '../state/system-db.js';
import { HOST_VERSION } from '../version.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { copyDatabase, takeSnapshot } from './snapshot.js';

export interface HostControlParts {
  dataDir: string;
  logger: Logger;
  systemDb: SystemDb;
  analytics: AnalyticsDb;
  schemaVersion: () => number;
}

/**
 * The live host's control socket, snapshotting through the host's own handles: the system
 * database's open connection (COPY FROM DATABASE, one transaction, while the host writes on;
 * with PostgreSQL state the system tables are left to pg_dump),
 * the extract writers' commit chain (`betweenCommits`) and the analytics file leases, so no
 * commit or garbage collection changes what the backup is reading.
 */
export function startHostControl(p: HostControlParts): Promise<ControlServer | undefined> {
  return startControlServer({
    dataDir: p.dataDir,
    logger: p.logger,
    status: () => ({ pid: process.pid, version: HOST_VERSION, data_dir: p.dataDir, schema_version: p.schemaVersion() }),
    snapshot: () =>
      takeSnapshot({
        dataDir: p.dataDir,
        live: true,
        analyticsPath: p.analytics.path,
        retention: p.analytics.leases,
        betweenCommits,
        state:
          p.systemDb.dialect === 'postgres'
            ? { backend: 'postgres', schemaVersion: p.schemaVersion() }
            : { backend: 'duckdb', copy: (dest) => copyDatabase(p.systemDb, dest) },
      }),
  });
}
