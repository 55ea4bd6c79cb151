import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeConnectorContract } from '@aida/core/testing';
import { startTestHost } from '@aida/host/testing';
import { localFilesPlugin } from '../../src/local-files/plugin.js';

describeConnectorContract('local-files', async () => {
  const root = await mkdtemp(join(tmpdir(), 'aida-local-contract-'));
  const folder = join(root, 'files');
  await mkdir(folder);
  await writeFile(join(folder, 'orders.csv'), 'id,amount\n1,10.5\n2,20\n3,7.25\n');
  await writeFile(join(folder, 'events.jsonl'), '{"id":1,"kind":"click"}\n{"id":2,"kind":"view"}\n');
  return {
    host: await startTestHost({ plugins: [{ plugin: localFilesPlugin, config: { sources: [{ name: 'files', path: folder }] } }] }),
    source: 'files',
    breakSource: () => rename(folder, `${folder}.away`),
    repairSource: () => rename(`${folder}.away`, folder),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
