import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { localFilesPlugin } from '../../src/local-files/plugin.js';
import { bootstrap } from '../identity/helpers.js';

/** A host with two local sources (`shop`, `hr`), extracted, and an admin session. */
export async function dataHost(config?: Record<string, unknown>): Promise<{ t: TestHost; admin: string; folders: Record<string, string> }> {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const root = await mkdtemp(join(tmpdir(), 'aida-data-src-'));
  const folders = { shop: join(root, 'shop'), hr: join(root, 'hr') };
  await mkdir(folders.shop);
  await mkdir(folders.hr);
  const orders = ['order_id,customer,amount', ...Array.from({ length: 500 }, (_, i) => `${i + 1},c${i % 37},${(i * 7) % 100}.5`)].join('\n');
  await writeFile(join(folders.shop, 'orders.csv'), `${orders}\n`);
  await writeFile(join(folders.shop, 'customers.csv'), 'customer,name\nc1,Ada\nc2,Ben\n');
  await writeFile(join(folders.hr, 'salaries.csv'), 'person,salary\nada,100\nben,90\n');
  const t = await startTestHost({
    plugins: [{ plugin: localFilesPlugin, config: { sources: [{ name: 'shop', path: folders.shop }, { name: 'hr', path: folders.hr }] } }],
    config,
  });
  for (const s of ['shop', 'hr']) {
    const r = await t.host.syncSource(s);
    if (r.error) throw new Error(r.error);
  }
  const admin = await bootstrap(t);
  return { t, admin, folders };
}
