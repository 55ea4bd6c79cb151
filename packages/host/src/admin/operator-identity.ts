import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { Identity } from '../identity/identity.js';
import type { StateConfig } from '../state/config.js';
import { openStateChanges } from '../state/open-changes.js';
import type { SystemDb } from '../state/system-db.js';
import { EMBEDDED_STATE, withInstanceDb } from './instance-state.js';

/** What an operator command did, for the audit log (user_id is null: no signed-in user acted). */
export interface OperatorAction {
  /** `aida admin create-user`, … */
  action: string;
  /** What it acted on, such as `/api/users/<id>`. */
  resource: string;
  status: number;
}

/**
 * Runs `fn` with the identity side of an instance (the same Identity the host uses, so
 * passwords, invites and setup links follow the host's rules) and records what it did in the
 * audit log, as the host records an API call. DuckDB state: the instance must be stopped;
 * PostgreSQL state: a live host may run (see withInstanceDb).
 */
export async function withOperatorIdentity<T>(
  dataDir: string,
  command: string,
  fn: (id: Identity, db: SystemDb) => Promise<{ result: T; audit?: OperatorAction }>,
  state: StateConfig = EMBEDDED_STATE,
): Promise<T> {
  return withInstanceDb(dataDir, state, command, async (db) => {
    const started = performance.now();
    const log = pino({ level: 'silent' });
    // Running hosts (state on PostgreSQL) hear what the command changed, as from another host.
    const changes = await openStateChanges(state, log);
    const id = await Identity.open(db, dataDir, log, { sessionLifetimeSeconds: 86_400, changes });
    try {
      const { result, audit } = await fn(id, db);
      if (audit) {
        id.audit.record({ timestamp: new Date(), user_id: null, ...audit, duration_ms: performance.now() - started, request_id: `cli-${randomUUID()}` });
      }
      return result;
    } finally {
      await id.close();
      await changes.close();
    }
  });
}
