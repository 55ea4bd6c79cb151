// The fake Keboola stack on a thread of its own, for the extraction benchmark. In production the
// Storage API and S3 are other machines: answering the API and sending the slices are not the
// host's work, so they run off the event loop being measured (the machine's cores are still
// shared). The slices are served from memory, as S3 would, not read through this process's
// libuv pool, which the extraction's own file writes and gunzip use.
import { readFile } from 'node:fs/promises';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (!isMainThread && workerData?.fakeKeboolaThread) {
  const { FakeKeboola } = await import(new URL('../dist/testing/index.js', import.meta.url).href);
  const { token, table, slices } = workerData;
  const fake = await FakeKeboola.start(token);
  fake.addTable(table);
  fake.exportAs(table.id, fake.registerSlicedFile(await Promise.all(slices.map((p) => readFile(p)))));
  parentPort.on('message', async (m) => {
    if (m === 'close') {
      await fake.close();
      parentPort.postMessage('closed');
    }
  });
  parentPort.postMessage({ config: fake.config() });
}

/**
 * Starts the fake on its own thread with `table`, whose exports are the gzip files `slices`.
 * Returns `config(extra)` (the plugin config pointing at it) and `close()`.
 */
export function startFakeKeboolaThread({ token, table, slices }) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { fakeKeboolaThread: true, token, table, slices } });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', ({ config }) =>
      resolve({
        config: (extra = {}) => ({ ...config, ...extra }),
        close: async () => {
          const closed = new Promise((r) => worker.once('message', r));
          worker.postMessage('close');
          await closed;
          await worker.terminate();
        },
      }),
    );
  });
}
