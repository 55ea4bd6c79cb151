import { startTestHost, type TestHost } from '@aida/host/testing';
import { call } from '../../identity/helpers.js';
import { warehousePlugin, type Warehouse } from './warehouse.js';

export { call } from '../../identity/helpers.js';

/** Local tables the warehouse connector also writes, for hybrid queries to join (salaries is made private). */
export const LOCAL = {
  customers: "SELECT * FROM (VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol')) AS t(id, name)",
  salaries: 'SELECT * FROM (VALUES (1, 1000), (2, 2000)) AS t(customer_id, salary)',
};

export interface HostOptions {
  dataDir?: string;
  /** The warehouse connector's config over its defaults (limits, source name). */
  warehouse?: Record<string, unknown>;
  /** The instance config's `query:` section. */
  query?: Record<string, unknown>;
}

/** A real host with the warehouse connector, synced once (its extract declares the remote tables). */
export async function startWarehouseHost(w: Warehouse, o: HostOptions = {}): Promise<TestHost> {
  const t = await startTestHost({
    dataDir: o.dataDir,
    plugins: [{ plugin: warehousePlugin(w), config: { local: LOCAL, ...o.warehouse } }],
    config: { analytics: { profile_after_rebuild: false }, ...(o.query ? { query: o.query } : {}) },
  });
  const r = await t.host.syncSource('warehouse');
  if (r.error) throw new Error(`sync warehouse: ${r.error}`);
  return t;
}

/** POST a JSON body with a token. */
export function post(t: TestHost, path: string, token: string, body: unknown) {
  return call(t, 'POST', path, { token, body });
}

/** Signs in with the password test users get (userWithSession's), e.g. after a restart. */
export async function signIn(t: TestHost, email: string): Promise<string> {
  const r = await call(t, 'POST', '/auth/token', { body: { email, password: 'user-password-1' } });
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${r.text}`);
  return r.json.access_token as string;
}
