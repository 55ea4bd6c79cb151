import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { localFilesPlugin } from '../../../src/local-files/plugin.js';
import { bootstrap, call, userWithSession } from '../../identity/helpers.js';

export { call } from '../../identity/helpers.js';

/** A reply as `call` returns it: status, parsed JSON (if any), raw text and headers. */
export type Reply = Awaited<ReturnType<typeof call>>;

/** Three sources: `shop` (public tables), `hr` and `finance` (made private). */
export const FILES: Record<string, Record<string, string>> = {
  shop: {
    'orders.csv':
      'id,customer_id,amount,status,ordered_on,note\n' +
      '1,1,10.50,paid,2024-01-05,first\n' +
      '2,2,20.00,paid,2024-01-20,"with, comma"\n' +
      '3,1,,pending,2024-02-10,\n' +
      '4,3,40.25,paid,2024-02-11,"say ""hi"""\n' +
      '5,4,50.00,cancelled,2024-04-15,last\n',
    'customers.csv': 'id,name,country\n1,Alice,CZ\n2,Bob,DE\n3,Carol,CZ\n4,Dave,US\n',
  },
  hr: { 'salaries.csv': 'employee,salary\n1,1000\n2,2000\n3,3000\n' },
  finance: { 'ledger.csv': 'entry,amount\n1,5.5\n2,-3.25\n' },
};

export interface QueryHost {
  t: TestHost;
  root: string;
  admin: string;
  analyst: { id: string; token: string };
  viewer: { id: string; token: string };
  /** POST /api/query as the analyst (or another token). */
  query(body: unknown, opts?: { token?: string; headers?: Record<string, string> }): Promise<Reply>;
  stop(): Promise<void>;
}

/**
 * Boots a real host with the local-files connector over the three folders, syncs them, and
 * makes `salaries` and `ledger` private. `query` sets the instance config's query limits.
 */
export async function startQueryHost(options: { query?: Record<string, unknown>; files?: typeof FILES } = {}): Promise<QueryHost> {
  const root = await mkdtemp(join(tmpdir(), 'aida-query-'));
  const files = options.files ?? FILES;
  for (const [source, entries] of Object.entries(files)) {
    await mkdir(join(root, source), { recursive: true });
    for (const [name, content] of Object.entries(entries)) await writeFile(join(root, source, name), content);
  }
  const t: TestHost = await startTestHost({
    dataDir: join(root, 'data'),
    plugins: [{ plugin: localFilesPlugin, config: { sources: Object.keys(files).map((name) => ({ name, path: join(root, name) })) } }],
    config: options.query ? { query: options.query } : {},
  });
  for (const source of Object.keys(files)) {
    const r = await t.host.syncSource(source);
    if (r.error) throw new Error(`sync ${source}: ${r.error}`);
  }
  const admin = await bootstrap(t);
  for (const table of ['salaries', 'ledger']) {
    if (!Object.values(files).some((f) => `${table}.csv` in f)) continue;
    const r = await call(t, 'PUT', `/api/admin/registry/${table}`, { token: admin, body: { is_public: false } });
    if (r.status !== 200) throw new Error(`making ${table} private: ${r.status} ${r.text}`);
  }
  const analyst = await userWithSession(t, admin, 'analyst@example.com', 'analyst');
  const viewer = await userWithSession(t, admin, 'viewer@example.com', 'viewer');
  return {
    t,
    root,
    admin,
    analyst,
    viewer,
    query: (body, opts = {}) => call(t, 'POST', '/api/query', { token: opts.token ?? analyst.token, body, headers: opts.headers }),
    async stop() {
      await t.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
