// The Jira backfill (`host.syncSource('jira')`, a full pass) of a seeded site into the six
// tables, against the fake's own serving speed in the same run: the same number of issue GETs,
// with the connector's concurrency and no writes. The ratio is the share of the bare fetch rate
// the connector keeps while it also searches, fetches remote links, transforms, commits a push
// per batch and rebuilds the analytics database.
// Run: `node packages/plugin-jira/bench/backfill.mjs` (after `npx tsc -b packages/plugin-jira`);
// BENCH_JIRA_ISSUES scales it.
import { pathToFileURL } from 'node:url';
import { machineLoad, timeExtractWriter, describe, spreadOver, startJiraBench } from './bench-host.mjs';

/** The connector's refetch concurrency: config.concurrency's default. */
const CONCURRENCY = 4;
const WARM_UP_GETS = 200;

/** GETs each key's issue as the connector asks for it, `concurrency` at a time; returns the wall time. */
async function rawIssueGets(fake, keys, concurrency) {
  const queue = [...keys];
  const worker = async () => {
    for (let key = queue.shift(); key; key = queue.shift()) {
      const res = await fetch(`${fake.url}/rest/api/3/issue/${key}?fields=*all&expand=renderedFields,changelog`, {
        headers: { authorization: fake.authorization, accept: 'application/json' },
      });
      if (res.status !== 200) throw new Error(`GET issue ${key} answered ${res.status}`);
      await res.json();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - t0;
}

/** Returns the figures it reports. `hostConfig` and `pluginConfig` change defaults, to see what a setting costs. */
export async function benchJiraBackfill({ report, issues = 10_000, hostConfig, pluginConfig } = {}) {
  const j = await startJiraBench({ hostConfig, pluginConfig: { ...pluginConfig, concurrency: CONCURRENCY } });
  /** Wrapped once the setup is done, so only the measured part is timed. */
  let writer;
  try {
    const keys = j.fake.seed(issues, { commentsPerIssue: 2, doneEvery: 5, ...spreadOver(issues, 24) });
    await rawIssueGets(j.fake, keys.slice(0, WARM_UP_GETS), CONCURRENCY);
    const rawMs = await rawIssueGets(j.fake, keys, CONCURRENCY);
    const requestsBefore = j.fake.requests.length;

    writer = timeExtractWriter();
    const load = machineLoad();
    const t0 = performance.now();
    const result = await j.host.syncSource('jira');
    const ms = performance.now() - t0;
    const machine = load();
    if (result.error) throw new Error(`backfill failed: ${result.error}`);

    const [[stored, distinct]] = await j.query('SELECT count(*)::INT, count(DISTINCT issue_key)::INT FROM issues');
    const [[comments]] = await j.query('SELECT count(*)::INT FROM comments');
    const requests = j.fake.requests.slice(requestsBefore);
    const byKind = (re) => requests.filter((r) => re.test(r.path)).length;
    const applies = j.timings.apply.filter((t) => t.at >= t0);
    const rebuilds = j.timings.rebuild.filter((t) => t.at >= t0);

    const rate = issues / (ms / 1000);
    const rawRate = issues / (rawMs / 1000);
    const what = `jira backfill of ${issues.toLocaleString('en')} issues`;
    report(`${what}: issues/s`, rate, 'issues/s', {
      baseline: rawRate,
      baselineName: `the fake's own rate: the same issue GETs, concurrency ${CONCURRENCY}, no writes`,
    });
    report(`${what}: issues rows after`, stored, 'rows', {
      target: `= ${issues}`,
      pass: stored === issues && distinct === issues,
    });
    console.log(
      [
        `  ${what}: 2 comments each, every 5th done, created over 24 months; concurrency ${CONCURRENCY}; stored ${stored} issues (${distinct} distinct), ${comments} comments`,
        `  where the time goes (${(ms / 1000).toFixed(1)} s in all; the raw GETs took ${(rawMs / 1000).toFixed(1)} s):`,
        `    machine: ${machine}`,
        `    requests to the fake: ${requests.length} (${byKind(/\/search\/jql$/)} search pages, ${byKind(/\/issue\/[A-Z]+-\d+$/)} issue GETs, ${byKind(/\/remotelink$/)} remote-link GETs, ${byKind(/\/comment$/)} comment pages, ${byKind(/\/changelog$/)} changelog pages)`,
        `    batch applies (one push each): ${describe(applies.map((a) => a.ms))}; ops per batch p50 ${applies.length ? applies.map((a) => a.ops).sort((a, b) => a - b)[Math.floor(applies.length / 2)] : 0}`,
        `    of the applies: ${writer.summary()}`,
        `    analytics rebuilds (the last one inside syncSource, the others in the background after pushes): ${describe(rebuilds.map((r) => r.ms))}`,
        `    outside the applies and the last rebuild (search, refetch, waiting for a batch): ${(ms - applies.reduce((n, a) => n + a.ms, 0) - (rebuilds.at(-1)?.ms ?? 0)).toFixed(0)} ms`,
      ].join('\n'),
    );
    return { ms, rawMs, rate, rawRate, ratio: rate / rawRate, stored };
  } finally {
    writer?.restore();
    await j.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { report } = await import('../../../bench/lib.mjs');
  await benchJiraBackfill({ report, issues: Number(process.env.BENCH_JIRA_ISSUES ?? 10_000) });
}
