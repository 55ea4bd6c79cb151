// The corporate memory's bundle (`GET /api/memory/bundle`) over 10,000 items and 20,000 votes,
// against DuckDB's own speed in the same run: the bare SELECT of the same rows on the same
// connection. Run: `node packages/plugin-memory/bench/bundle.mjs` (after `npx tsc -b
// packages/plugin-memory`); BENCH_MEMORY_ITEMS scales it. Target: the bundle under 50 ms.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHost } from '@aida/host';
import { pino } from 'pino';

const dist = new URL('../dist/', import.meta.url);
const { memoryPlugin, MemoryStore, buildBundle } = await import(new URL('index.js', dist).href);

async function median(n, fn) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)];
}

/** Returns { ms, httpMs, baselineMs, ratio } for `items` items. */
export async function benchMemoryBundle({ items = 10_000, runs = 15, report } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'aida-bench-memory-'));
  process.env.AIDA_ADMIN_EMAIL = 'bench@example.com';
  process.env.AIDA_ADMIN_PASSWORD = 'bench-password';
  const host = await createHost({ dataDir: dir, plugins: [{ plugin: memoryPlugin, config: {} }], config: {}, logger: pino({ level: 'silent' }) });
  await host.start();
  const server = await host.listen(0, '127.0.0.1');
  try {
    const db = host.systemDb;
    // 20 required, ~80% approved, the rest pending, rejected or personal; text of 100–700
    // characters; last changed over the past two years; 2 votes an item on average.
    await db.run(`INSERT INTO memory_items (id, title, content, category, tags, status, required, personal, owner_id, confidence,
        source_users, sources, source_type, created_at, updated_at, expires_at)
      SELECT 'km_' || lpad(range::VARCHAR, 12, '0'),
        'Rule ' || range || ': ' || repeat('title ', 1 + range % 8),
        repeat('Knowledge about table t' || (range % 300) || ' and its columns. ', 2 + range % 14),
        ['data_analysis', 'api_integration', 'debugging', 'performance', 'workflow', 'infrastructure', 'business_logic'][1 + range % 7],
        ['tag' || (range % 50)],
        CASE WHEN range < 20 OR range % 10 < 8 THEN 'approved' WHEN range % 10 = 8 THEN 'pending' ELSE 'rejected' END,
        range < 20, range >= 20 AND range % 97 = 5, CASE WHEN range >= 20 AND range % 97 = 5 THEN 'owner' END, 0.5,
        ['user' || (range % 40) || '@example.com', 'user' || ((range * 7) % 40) || '@example.com'], '[]', 'claude_local_md',
        TIMESTAMP '2024-01-01' + INTERVAL (range % 700) DAY, now()::TIMESTAMP - INTERVAL (range % 730) DAY, NULL
      FROM range(${items})`);
    await db.run(`INSERT INTO memory_votes (item_id, user_id, vote, voted_at)
      SELECT 'km_' || lpad((range % ${items})::VARCHAR, 12, '0'), 'voter' || (range // ${items}), CASE WHEN range % 5 = 0 THEN -1 ELSE 1 END, now()::TIMESTAMP
      FROM range(${items * 2})`);
    // The counts on the items, as every vote keeps them.
    await db.run(`UPDATE memory_items SET upvotes = v.up, downvotes = v.down
      FROM (SELECT item_id, count(*) FILTER (WHERE vote = 1) AS up, count(*) FILTER (WHERE vote = -1) AS down FROM memory_votes GROUP BY item_id) v
      WHERE v.item_id = memory_items.id`);

    const baselineMs = await median(runs, () =>
      db.all("SELECT id, title, content, category, updated_at FROM memory_items WHERE status = 'approved' AND NOT personal"),
    );
    const store = new MemoryStore(db, { halfLifeMs: 365 * 86_400_000 });
    let bundle;
    const ms = await median(runs, async () => {
      bundle = await buildBundle(store, 6000);
    });
    const login = await (
      await fetch(`${server.url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }),
      })
    ).json();
    const headers = { authorization: `Bearer ${login.access_token}` };
    const httpMs = await median(runs, async () => {
      const res = await fetch(`${server.url}/api/memory/bundle`, { headers });
      if (res.status !== 200) throw new Error(`GET /api/memory/bundle answered ${res.status}`);
      await res.json();
    });
    if (bundle.required.length !== 20 || !bundle.approved.length || bundle.token_estimate < bundle.token_budget / 2) {
      throw new Error(`unexpected bundle: ${bundle.required.length} required, ${bundle.approved.length} approved, ${bundle.token_estimate} tokens`);
    }
    const ratio = httpMs / baselineMs;
    const name = `memory bundle over ${items.toLocaleString('en')} items (${bundle.required.length} required + ${bundle.approved.length} approved, ${bundle.token_estimate} tokens), GET over HTTP`;
    const baselineName = 'the bare SELECT of the approved rows on the same connection';
    const pass = httpMs < 50;
    if (report) {
      report(name, httpMs, 'ms', { baseline: baselineMs, baselineName, target: '< 50 ms', pass });
    } else {
      console.log(
        `${name}: ${httpMs.toFixed(1)} ms (in process ${ms.toFixed(1)} ms)  | ${baselineName}: ${baselineMs.toFixed(1)} ms  | ratio ${ratio.toFixed(2)}x  | target < 50 ms: ${pass ? 'met' : 'NOT met'}`,
      );
    }
    return { ms, httpMs, baselineMs, ratio };
  } finally {
    await server.close();
    await host.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchMemoryBundle({ items: Number(process.env.BENCH_MEMORY_ITEMS ?? 10_000) });
}
