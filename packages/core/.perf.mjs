import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtractWriter } from '@aida/core';
const root = await mkdtemp(join(tmpdir(), 'perf-'));
const dir = join(root, 'src');
const N = 2_000_000;
const G = process.env.G ?? 'month';
const base = `SELECT range AS id, DATE '2020-01-01' + (range % 1460)::INT AS day, 'n' || (range % 1000) AS note, (range * 7) % 1000 AS v FROM range(${N})`;
const time = async (label, fn) => { const t = performance.now(); const r = await fn(); console.log(label, Math.round(performance.now() - t), 'ms', r && JSON.stringify({ w: r.written.length, rm: r.removed.length, rows: r.rows })); };
const by = { column: 'day', granularity: G };
const mode = { mode: 'merge', primaryKey: ['id'], partitionBy: by };
const changed = `SELECT id, day, 'x' AS note, v FROM (${base}) WHERE day BETWEEN DATE '2021-03-01' AND DATE '2021-03-03' AND id % 7 = 0`;
for (const [label, sql, m] of [
  ['replace unpartitioned', base, { mode: 'replace' }],
  ['replace partitioned', base, { mode: 'replace', partitionBy: by }],
  ['replace partitioned again (all unchanged)', base, { mode: 'replace', partitionBy: by }],
  ['merge ~40 changed rows into partitioned', changed, mode],
  ['append ~40 rows partitioned', changed, { mode: 'append', partitionBy: by }],
]) {
  await time(label, async () => { const w = await ExtractWriter.open(dir); const r = await w.write('t', sql, m); await w.commit(); return r; });
}
await rm(root, { recursive: true, force: true });
