import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost } from '@aida/host';

export interface DemoHost {
  url: string;
  /** The demo admin `npm start` prints on a first start. */
  admin: { email: string; password: string; token: string };
  stop(): Promise<void>;
}

/**
 * The instance a new user gets from `npm start` without a config file: the bundled
 * e-commerce dataset (customers, products, orders, order_items), extracted on start, and a
 * demo admin. What the README's screenshot shows.
 */
export async function demoHost(): Promise<DemoHost> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aida-browser-demo-'));
  const host = await createHost({
    dataDir,
    demo: true,
    // Quick job polling, as the test kit's hosts have.
    config: { jobs: { backend: 'duckdb', process_every: '200ms', remove_on_complete: false } },
    logger: pino({ level: process.env.AIDA_TEST_LOG_LEVEL ?? 'silent' }),
  });
  await host.start();
  const server = await host.listen(0, '127.0.0.1');
  const stop = async () => {
    await server.close();
    await host.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const who = host.demoAdmin;
    if (!who) throw new Error('the demo host created no demo admin');
    const res = await fetch(`${server.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) });
    if (res.status !== 200) throw new Error(`demo admin sign-in: ${res.status} ${await res.text()}`);
    const { access_token: token } = (await res.json()) as { access_token: string };
    return { url: server.url, admin: { ...who, token }, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Recomputes a demo table's profile now, so its page shows charts. */
export async function profileDemoTable(demo: DemoHost, table: string): Promise<void> {
  const res = await fetch(`${demo.url}/api/catalog/profile/${table}/refresh`, { method: 'POST', headers: { authorization: `Bearer ${demo.admin.token}` } });
  if (res.status >= 300) throw new Error(`profile ${table}: ${res.status} ${await res.text()}`);
}
