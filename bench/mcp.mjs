// (m) The MCP query tool over /mcp (the SDK's client over Streamable HTTP: JSON-RPC, a session,
// the tool's paging) against POST /api/query for the same SQL, in the same run, on the same host:
//   1. aggregate queries (small answers): the cost of the MCP layer per call;
//   2. a 1,000-row result (one MCP page, about 40,000 characters);
//   3. a 100,000-row result: every page of the tool by cursor against one 100,000-row JSON answer.
// Medians of `runs` interleaved runs, so machine noise hits both sides alike.
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ExtractWriter } from '@aida/core';
import { median, time, withTempDir, startBenchHost } from './lib.mjs';

const COLUMNS = `
  range AS id,
  (range % 100000)::INTEGER AS customer_id,
  (hash(range) % 1000000) / 100.0 AS amount,
  'status_' || (range % 7) AS status,
  DATE '2020-01-01' + (range % 1500)::INTEGER AS day`;

const AGGREGATES = [
  'SELECT status, count(*) AS n, sum(amount) AS total FROM events GROUP BY status ORDER BY status',
  'SELECT customer_id, sum(amount) AS total FROM events GROUP BY 1 ORDER BY 2 DESC LIMIT 20',
];
const ROWS_1K = 'SELECT * FROM events WHERE id < 1000 ORDER BY id';
const ROWS_100K = 'SELECT * FROM events WHERE id < 100000 ORDER BY id';

async function rest(url, headers, sql, limit) {
  const res = await fetch(`${url}/api/query`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ sql, limit }),
  });
  const out = await res.json();
  if (res.status !== 200) throw new Error(`POST /api/query failed: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

async function tool(client, args) {
  const r = await client.callTool({ name: 'query', arguments: args });
  if (r.isError) throw new Error(`query tool failed: ${r.content[0].text}`);
  return r.structuredContent;
}

/** Every page of the tool's answer: the rows it returned in all. */
async function allPages(client, sql) {
  let page = await tool(client, { sql });
  let rows = page.row_count;
  while (page.truncated) {
    page = await tool(client, { cursor: page.cursor });
    rows += page.row_count;
  }
  return rows;
}

export async function benchMcpQuery({ report, rows = 1_000_000, runs = 15 } = {}) {
  await withTempDir('aida-bench-mcp-', async (dataDir) => {
    const w = await ExtractWriter.open(join(dataDir, 'extracts', 'bench'));
    await w.writeTable('events', `SELECT ${COLUMNS} FROM range(${rows})`);
    await w.commit();
    const { host, url, close, admin } = await startBenchHost(dataDir, { analytics: { profile_after_rebuild: false } });
    const client = new Client({ name: 'aida-bench', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: admin } }));
    try {
      // Warm both paths (engine caches, the session).
      for (const sql of [...AGGREGATES, ROWS_1K]) {
        await rest(url, admin, sql, 1000);
        await tool(client, { sql });
      }
      const measure = async (label, viaRest, viaMcp, n = runs) => {
        const a = [];
        const b = [];
        for (let i = 0; i < n; i++) {
          b.push((await time(viaRest)).ms);
          a.push((await time(viaMcp)).ms);
        }
        report(label, median(a), 'ms', { baseline: median(b), baselineName: 'POST /api/query, same SQL' });
      };
      await measure(
        `MCP query tool over /mcp, ${AGGREGATES.length} aggregate queries over ${rows.toLocaleString('en')} rows (median of ${runs})`,
        async () => {
          for (const sql of AGGREGATES) await rest(url, admin, sql, 1000);
        },
        async () => {
          for (const sql of AGGREGATES) await tool(client, { sql });
        },
      );
      await measure(
        `MCP query tool over /mcp, a 1,000-row result (median of ${runs})`,
        () => rest(url, admin, ROWS_1K, 1000),
        async () => {
          const page = await tool(client, { sql: ROWS_1K });
          if (page.truncated || page.row_count !== 1000) throw new Error(`one page expected, got ${page.row_count} rows, truncated ${page.truncated}`);
        },
      );
      await measure(
        `MCP query tool over /mcp, a 100,000-row result paged by cursor (50,000 characters a page; median of ${Math.ceil(runs / 3)})`,
        async () => {
          if ((await rest(url, admin, ROWS_100K, 100_000)).row_count !== 100_000) throw new Error('REST: wrong row count');
        },
        async () => {
          if ((await allPages(client, ROWS_100K)) !== 100_000) throw new Error('MCP: wrong row count');
        },
        Math.ceil(runs / 3),
      );
    } finally {
      await client.close();
      await close();
      await host.stop();
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printSummary, report } = await import('./lib.mjs');
  await benchMcpQuery({ report, rows: Number(process.env.BENCH_MCP_ROWS ?? 1_000_000) });
  printSummary();
}
