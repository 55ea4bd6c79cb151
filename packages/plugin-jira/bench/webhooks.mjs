// Jira webhooks at a steady rate against a host running the plugin with its default settings:
// how long from a signed delivery until its change is served by POST /api/query, whether any is
// lost or written twice, and whether every delivery is answered 200. Baseline: the analytics
// rebuilds the host ran in the same run (its own step that makes a push visible), so the ratio
// is what the Jira path (queue, refetch, batch, commit, rebuild delay, poll) adds around it.
// The fake Jira and the sender run on their own thread (fake-thread.mjs), as they are other
// machines in production.
// Run: `node packages/plugin-jira/bench/webhooks.mjs` (after `npx tsc -b packages/plugin-jira`);
// BENCH_JIRA_RATE and BENCH_JIRA_SECONDS scale it.
import { pathToFileURL } from 'node:url';
import { epochNow, startFakeJiraThread } from './fake-thread.mjs';
import { machineLoad, timeExtractWriter, describe, percentile, sleep, spreadOver, startJiraBench } from './bench-host.mjs';

const SEEDED = 500;
const POLL_MS = 50;
/** An event not served this long after the last delivery counts as lost. */
const GRACE_MS = 30_000;
const TARGET_P95_MS = 2000;

/** The event number in a summary written by this benchmark (`v<n> …`); -1 for any other. */
const markerOf = (summary) => Number(/^v(\d+) /.exec(summary ?? '')?.[1] ?? -1);

/** The durations of `timings` split by when they ended, into thirds of the stretch they cover. */
function thirds(timings) {
  if (!timings.length) return [[], [], []];
  const from = timings[0].at;
  const span = timings.at(-1).at - from || 1;
  const parts = [[], [], []];
  for (const t of timings) parts[Math.min(2, Math.floor(((t.at - from) / span) * 3))].push(t.ms);
  return parts;
}

const sqlList = (xs) => xs.map((x) => `'${x}'`).join(', ');

/** Returns the figures it reports. `hostConfig` and `pluginConfig` change defaults, to see what a setting costs. */
export async function benchJiraWebhooks({ report, rate = 50, seconds = 60, hostConfig, pluginConfig } = {}) {
  const j = await startJiraBench({ hostConfig, pluginConfig, startFake: startFakeJiraThread });
  /** Wrapped once the setup is done, so only the measured part is timed. */
  let writer;
  try {
    const keys = await j.fake.seed(SEEDED, { commentsPerIssue: 2, doneEvery: 5, ...spreadOver(SEEDED, 24) });
    const backfill = await j.host.syncSource('jira');
    if (backfill.error) throw new Error(`backfill failed: ${backfill.error}`);
    const seeded = (await j.query('SELECT count(*)::INT FROM issues'))[0][0];
    if (seeded !== SEEDED) throw new Error(`backfill wrote ${seeded} issues, not ${SEEDED}`);
    const rebuildsBefore = j.timings.rebuild.length;
    writer = timeExtractWriter();
    const load = machineLoad();
    const appliesBefore = j.timings.apply.length;

    const total = Math.round(rate * seconds);
    const events = [];
    /** Events not yet seen: by issue key (an issue's newer version shows every older change) and by comment id. */
    const pendingIssues = new Map();
    const pendingComments = new Map();
    let sending = true;
    // The fake's thread makes each change, sends its delivery and tells of it here just before.
    const sent = j.fake
      .send({ url: j.url, secret: j.secret, keys, rate, total, firstNumber: SEEDED }, (e) => {
        events.push(e);
        if (e.wait.issue) pendingIssues.set(e.wait.issue, [...(pendingIssues.get(e.wait.issue) ?? []), e]);
        else pendingComments.set(e.wait.comment, e);
      })
      .finally(() => (sending = false));
    const sendEnd = sent.then(() => epochNow());

    const queryMs = [];
    const poll = async (sendEnd) => {
      for (;;) {
        const pendingCount = pendingIssues.size + pendingComments.size;
        if (!sending && pendingCount === 0) return;
        if (!sending && epochNow() - (await sendEnd) > GRACE_MS) return;
        const started = epochNow();
        if (pendingCount > 0) {
          const issueKeys = [...pendingIssues.keys()];
          const commentIds = [...pendingComments.keys()];
          const rows = await j.query(
            [
              issueKeys.length ? `SELECT 'issue' AS kind, issue_key AS id, summary FROM issues WHERE issue_key IN (${sqlList(issueKeys)})` : undefined,
              commentIds.length ? `SELECT 'comment', comment_id, NULL FROM comments WHERE comment_id IN (${sqlList(commentIds)})` : undefined,
            ]
              .filter(Boolean)
              .join(' UNION ALL '),
          );
          const seenAt = epochNow();
          queryMs.push(seenAt - started);
          for (const [kind, id, summary] of rows) {
            if (kind === 'comment') {
              const e = pendingComments.get(id);
              if (e && e.sentAt < started) {
                e.visibleAt = seenAt;
                pendingComments.delete(id);
              }
              continue;
            }
            const shown = markerOf(summary);
            const waiting = (pendingIssues.get(id) ?? []).filter((e) => {
              if (e.n > shown || e.sentAt >= started) return true;
              e.visibleAt = seenAt;
              return false;
            });
            if (waiting.length) pendingIssues.set(id, waiting);
            else pendingIssues.delete(id);
          }
        }
        await sleep(Math.max(0, POLL_MS - (epochNow() - started)));
      }
    };

    const [{ statuses, maxLagMs }] = await Promise.all([sent, poll(sendEnd)]);
    await j.connector.idle();
    const machine = load();

    const latencies = events.filter((e) => e.visibleAt !== undefined).map((e) => e.visibleAt - e.sentAt);
    const lost = events.length - latencies.length;
    const dupIssues = (await j.query('SELECT issue_key, count(*) FROM issues GROUP BY 1 HAVING count(*) > 1')).length;
    const dupComments = (await j.query('SELECT comment_id, count(*) FROM comments GROUP BY 1 HAVING count(*) > 1')).length;
    const not200 = statuses.filter((s) => s !== 200).length;
    const rebuilds = j.timings.rebuild.slice(rebuildsBefore).map((t) => t.ms);
    const applies = j.timings.apply.slice(appliesBefore);
    const baselineMs = percentile(rebuilds, 0.95);
    const p50 = percentile(latencies, 0.5);
    const p95 = percentile(latencies, 0.95);

    // Where the time goes: delivery → the fake's first issue GET for that key after it (queue + refetch start).
    const issueGets = (await j.fake.requests()).filter((r) => r.method === 'GET' && /^\/rest\/api\/3\/issue\/[A-Z]+-\d+$/.test(r.path));
    const toRefetch = events.map((e) => issueGets.find((r) => r.at >= e.sentWall && r.path.endsWith(`/${e.key}`))?.at - e.sentWall).filter((x) => x >= 0);

    const what = `jira webhooks ${rate}/s × ${seconds} s`;
    const baselineName = 'p95 of the analytics rebuilds (orchestrator.rebuild) in this run';
    report(`${what}: p95 webhook → visible in POST /api/query`, p95, 'ms', {
      baseline: baselineMs,
      baselineName,
      target: `p95 < ${TARGET_P95_MS} ms`,
      pass: p95 < TARGET_P95_MS,
    });
    report(`${what}: p50 webhook → visible`, p50, 'ms', { baseline: percentile(rebuilds, 0.5), baselineName: 'p50 of the same rebuilds' });
    report(`${what}: events lost (not visible ${GRACE_MS / 1000} s after the last)`, lost, 'events', { target: '0', pass: lost === 0 });
    report(`${what}: duplicated rows (issues by key + comments by id)`, dupIssues + dupComments, 'rows', { target: '0', pass: dupIssues + dupComments === 0 });
    report(`${what}: webhook answers not 200`, not200, 'answers', { target: '0', pass: not200 === 0 });
    console.log(
      [
        `  ${what}: ${SEEDED} issues backfilled first, default batch (200 ms / 200 issues) and push_rebuild_delay (100 ms)`,
        `  where the time goes (${events.length} events: ${events.filter((e) => e.kind === 'updated').length} updated, ${events.filter((e) => e.kind === 'comment').length} comment_created, ${events.filter((e) => e.kind === 'created').length} issue_created; sender lag max ${maxLagMs.toFixed(0)} ms):`,
        `    machine: ${machine}`,
        `    webhook → first issue GET at the fake: ${describe(toRefetch)}`,
        `    batch applies (one push each): ${describe(applies.map((a) => a.ms))}; ops per batch p50 ${percentile(
          applies.map((a) => a.ops),
          0.5,
        )}, max ${Math.max(0, ...applies.map((a) => a.ops))}`,
        `    batch apply p50 by third of the run (does it grow?): ${thirds(applies)
          .map((xs) => `${percentile(xs, 0.5).toFixed(0)} ms`)
          .join(' → ')}`,
        `    of the applies: ${writer.summary()}`,
        `    analytics rebuilds: ${describe(rebuilds)}`,
        `    POST /api/query polls: ${describe(queryMs)}`,
        `    latency webhook → visible: ${describe(latencies)}`,
      ].join('\n'),
    );
    return { p50, p95, lost, dupIssues, dupComments, not200, baselineMs };
  } finally {
    writer?.restore();
    await j.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { report } = await import('../../../bench/lib.mjs');
  await benchJiraWebhooks({ report, rate: Number(process.env.BENCH_JIRA_RATE ?? 50), seconds: Number(process.env.BENCH_JIRA_SECONDS ?? 60) });
}
