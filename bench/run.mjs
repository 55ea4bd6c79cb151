// `npm run bench`: every benchmark, each printed as a ratio against the engine's own speed
// measured in the same run. BENCH_ONLY=rebuild,extract,startup,data,profile,query,keboola,da,jobs,memory,jira,bigquery,mcp,ws,scale picks some; BENCH_CSV_ROWS scales (b);
// BENCH_JIRA_RATE, BENCH_JIRA_SECONDS and BENCH_JIRA_ISSUES scale jira; BENCH_BIGQUERY_ROWS scales bigquery; BENCH_WS_USERS scales ws (5 sockets each).
// BENCH_EXPORTS=ndjson,csv,parquet picks the query bench's exports.
import { inOwnProcess, printSummary, report } from './lib.mjs';
import { benchRebuild } from './rebuild.mjs';
import { benchExtractCsv } from './extract-csv.mjs';
import { benchStartup } from './startup.mjs';
import { benchDataApi } from './data-api.mjs';
import { benchProfile } from './profile.mjs';
import { benchQuery } from './query.mjs';
import { benchDaSync } from './da-sync.mjs';
import { benchJobsPickup } from './jobs-pickup.mjs';

const only = process.env.BENCH_ONLY?.split(',');
const want = (name) => !only || only.includes(name);
if (want('rebuild')) await benchRebuild();
if (want('extract')) await benchExtractCsv({ rows: Number(process.env.BENCH_CSV_ROWS ?? 5_000_000) });
if (want('startup')) await benchStartup();
if (want('data')) await benchDataApi();
if (want('profile')) await benchProfile();
if (want('query')) await benchQuery();
if (want('da')) await benchDaSync();
if (want('jobs')) await benchJobsPickup();
if (want('keboola')) await (await import('../packages/plugin-keboola/bench/extract.mjs')).benchKeboolaExtract({ report });
if (want('memory')) {
  await (await import('../packages/plugin-memory/bench/bundle.mjs')).benchMemoryBundle({ report });
  await (await import('../packages/plugin-memory/bench/extract.mjs')).benchMemoryExtract({ report });
}
if (want('jira')) {
  const { BENCH_JIRA_RATE: rate = 50, BENCH_JIRA_SECONDS: seconds = 60, BENCH_JIRA_ISSUES: issues = 10_000 } = process.env;
  // Each in a fresh process: latency under a steady load, not skewed by what ran before.
  await inOwnProcess(new URL('../packages/plugin-jira/bench/webhooks.mjs', import.meta.url).href, 'benchJiraWebhooks', {
    rate: Number(rate),
    seconds: Number(seconds),
  });
  await inOwnProcess(new URL('../packages/plugin-jira/bench/backfill.mjs', import.meta.url).href, 'benchJiraBackfill', { issues: Number(issues) });
}
if (want('bigquery'))
  await (
    await import('../packages/plugin-bigquery/bench/materialize.mjs')
  ).benchBigQueryMaterialize({ report, rows: Number(process.env.BENCH_BIGQUERY_ROWS ?? 1_000_000) });
if (want('mcp')) await (await import('./mcp.mjs')).benchMcpQuery({ report });
if (want('ws')) await (await import('./ws-fanout.mjs')).benchWsFanout({ report, users: Number(process.env.BENCH_WS_USERS ?? 200) });
if (want('scale')) await (await import('./scale.mjs')).benchScaleOut();
printSummary();
