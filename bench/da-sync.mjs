// `da sync` with 1,000 tables on the server, run as the real binary. The second sync (nothing
// changed) must finish in under 1 s; it is compared with the floor any CLI pays: a Node
// process that starts, fetches the manifest and exits. The first sync is compared with
// fetching the same 1,000 files to disk with plain fetch() from this process, 4 at a time.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { cp, link, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExtractWriter } from '@aida/core';
import { median, medianOf, report, startBenchHost, time, withTempDir } from './lib.mjs';

const daBin = fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url));

function run(args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}: ${err}${out}`))));
  });
}

export async function benchDaSync({ sources = 20, tablesPerSource = 50, bigMb = 200 } = {}) {
  await withTempDir('aida-bench-da-', async (dataDir) => {
    for (let s = 0; s < sources; s++) {
      const w = await ExtractWriter.open(join(dataDir, 'extracts', `source_${s}`));
      for (let t = 0; t < tablesPerSource; t++) await w.writeTable(`s${s}_t${t}`, `SELECT range AS id, 'x' || range AS label FROM range(${100 + t})`);
      await w.commit();
    }
    // One large table for throughput (random doubles compress badly, like real data).
    const bulk = await ExtractWriter.open(join(dataDir, 'extracts', 'bulk'));
    await bulk.writeTable('big', `SELECT random() AS a, random() AS b, hash(range) AS c FROM range(${Math.round((bigMb * 1024 * 1024) / 24)})`);
    await bulk.commit();
    const { host, url, close, admin } = await startBenchHost(dataDir);
    const ws = await mkdtemp(join(tmpdir(), 'aida-bench-da-ws-'));
    const env = { DA_CONFIG_DIR: join(ws, '.config'), DA_LOCAL_DIR: ws };
    try {
      const n = sources * tablesPerSource;
      await run([daBin, 'login', '--server', url, '--token', admin.authorization.slice('Bearer '.length)], env);

      // The host profiles every table in the background after start (analytics.profile_after_rebuild):
      // measured meanwhile, each "nothing changed" sync found new profiles to fetch and a context
      // file to rewrite (`--cpu-prof` of the second sync), and the profiling took CPU from every
      // run. The measurements start once every table has its profile.
      const waited = await time(() => host.idle());
      const manifest = await (await fetch(`${url}/api/sync/manifest`, { headers: admin })).json();
      console.log(
        `(the host's start-up profiling of ${Object.keys(manifest.assets?.profiles ?? {}).length} tables ended ${(waited.ms / 1000).toFixed(1)} s after it was waited for)`,
      );
      const ids = Object.keys(manifest.tables).filter((id) => id !== 'big');

      // Throughput on one large file, end to end (process start, MD5 as bytes arrive, the view)
      // against a plain streamed fetch() into a file: at least 0.8x of it.
      // One run of each swung from 0.31x to 0.79x on the same code (a shared 2-core machine), so
      // three interleaved pairs, compared by their medians; each da run fetches the whole file
      // again (it is removed from the workspace before the next one).
      const bigBytes = manifest.tables.big.size_bytes;
      const plainRuns = [];
      const daRuns = [];
      for (let i = 0; i < 3; i++) {
        const plainBig = await time(async () => {
          const res = await fetch(`${url}/api/data/big/download`, { headers: admin });
          await pipeline(Readable.fromWeb(res.body), createWriteStream(join(tmpdir(), `aida-bench-big-${process.pid}`)));
        });
        plainRuns.push(plainBig.ms);
        await rm(join(tmpdir(), `aida-bench-big-${process.pid}`), { force: true });
        await rm(join(ws, 'server', 'parquet', 'big.parquet'), { force: true });
        daRuns.push((await time(() => run([daBin, 'sync', '--table', 'big'], env))).ms);
      }
      const [plainBigMs, daBigMs] = [median(plainRuns), median(daRuns)];
      const mbps = (ms) => bigBytes / 1024 / 1024 / (ms / 1000);
      report(`da sync of one ${Math.round(bigBytes / 1024 / 1024)} MB table (median of 3)`, mbps(daBigMs), 'MB/s', {
        baseline: mbps(plainBigMs),
        baselineName: 'plain streamed fetch() to a file, in-process (no process start, no MD5, no views)',
        target: '>= 0.8x',
        pass: daBigMs > 0 && plainBigMs / daBigMs >= 0.8,
      });
      // The first sync into a fresh workspace each time, against the plain fetch of the same
      // files into a fresh folder: three interleaved pairs, compared by their medians (one pair
      // swung by a third between runs of the same code).
      const plainFetch = async () => {
        const plainDir = await mkdtemp(join(tmpdir(), 'aida-bench-da-plain-'));
        try {
          return await time(async () => {
            let i = 0;
            await Promise.all(
              Array.from({ length: 4 }, async () => {
                while (i < ids.length) {
                  const id = ids[i++];
                  await writeFile(
                    join(plainDir, `${id}.parquet`),
                    Buffer.from(await (await fetch(`${url}/api/data/${id}/download`, { headers: admin })).arrayBuffer()),
                  );
                }
              }),
            );
          });
        } finally {
          await rm(plainDir, { recursive: true, force: true });
        }
      };
      // A first sync of the 1,000 small tables: into a copy of the workspace as the big table's
      // runs left it (the big file linked, not copied), so only those tables are fetched.
      const bigFile = join('server', 'parquet', 'big.parquet');
      const firstSync = async () => {
        const fresh = await mkdtemp(join(tmpdir(), 'aida-bench-da-first-'));
        await cp(ws, fresh, { recursive: true, filter: (from) => from !== join(ws, bigFile) && from !== join(ws, '.config') });
        await link(join(ws, bigFile), join(fresh, bigFile));
        try {
          const r = await time(() => run([daBin, 'sync', '--json'], { ...env, DA_LOCAL_DIR: fresh }));
          const fetched = JSON.parse(r.value).fetched.length;
          if (fetched !== n) throw new Error(`first sync fetched ${fetched} files, expected ${n}`);
          return r;
        } finally {
          await rm(fresh, { recursive: true, force: true });
        }
      };
      const plainFirst = [];
      const daFirst = [];
      for (let i = 0; i < 3; i++) {
        plainFirst.push((await plainFetch()).ms);
        daFirst.push((await firstSync()).ms);
      }
      report(`da sync, first, ${n} tables (median of 3)`, median(daFirst), 'ms', {
        baseline: median(plainFirst),
        baselineName: 'plain fetch() of the same files to disk, 4 at a time, in-process',
        target: '<= 1.3x',
        pass: median(daFirst) / median(plainFirst) <= 1.3,
      });
      console.log(`  runs (da/plain ms): ${daFirst.map((d, i) => `${d.toFixed(0)}/${plainFirst[i].toFixed(0)}`).join(' ')}`);
      // The workspace the second sync runs in: synced once.
      const first = await time(() => run([daBin, 'sync', '--json'], env));
      if (JSON.parse(first.value).fetched.length !== n) throw new Error('the workspace sync did not fetch every table');

      const floorScript = `const r = await fetch(${JSON.stringify(`${url}/api/sync/manifest`)}, { headers: { authorization: ${JSON.stringify(admin.authorization)} } }); await r.json();`;
      const floor = await medianOf(5, () => run(['--input-type=module', '-e', floorScript], {}));
      let transferred = -1;
      const second = await medianOf(5, async () => {
        const out = JSON.parse(await run([daBin, 'sync', '--json'], env));
        transferred = out.fetched.length;
      });
      if (transferred !== 0) throw new Error(`second sync fetched ${transferred} files`);
      report(`da sync, second (nothing changed), ${n} tables`, second, 'ms', {
        baseline: floor,
        baselineName: 'node process fetching the manifest',
        target: '< 1000 ms',
        pass: second < 1000,
      });
    } finally {
      await close();
      await host.stop();
      await rm(ws, { recursive: true, force: true });
    }
  });
}
