// The fake Jira Cloud and the webhook sender on a thread of their own, for the webhook benchmark.
// In production Jira and its webhook deliveries are other machines: serving the refetches,
// building and signing deliveries and the sender's HTTP are not the host's work, so they run off
// the event loop of the host being measured (the machine's two cores are still shared).
// Times crossing the thread boundary are epoch milliseconds with sub-ms precision
// (`performance.timeOrigin + performance.now()`), comparable between threads.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export const epochNow = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Which event the i-th delivery is: mostly issue updates, every tenth a new comment, every twentieth a new issue. */
const kindOf = (i) => (i % 20 === 19 ? 'created' : i % 10 === 4 ? 'comment' : 'updated');

/** Changes the fake as a user would, then builds the signed delivery that tells of it. */
function nextEvent(fake, secret, keys, i, nextNumber) {
  const kind = kindOf(i);
  if (kind === 'created') {
    const key = `SUP-${nextNumber()}`;
    fake.putIssue({ key, summary: `v${i} created by the benchmark`, created: new Date() });
    return { kind, key, wait: { issue: key }, delivery: fake.webhook('jira:issue_created', key, { secret }) };
  }
  const key = keys[i % keys.length];
  if (kind === 'comment') {
    const c = fake.addComment(key, { body: `c${i} comment by the benchmark` });
    return { kind, key, wait: { comment: c.id }, delivery: fake.webhook('comment_created', key, { secret, commentId: c.id }) };
  }
  fake.update(key, { summary: `v${i} update of ${key}` });
  return { kind, key, wait: { issue: key }, delivery: fake.webhook('jira:issue_updated', key, { secret }) };
}

/**
 * Sends `total` deliveries at `rate`/s to `url`, posting each event to the main thread just
 * before its POST; resolves with every answer's status (0: no answer) and the worst lag behind
 * the schedule.
 */
async function sendEvents(fake, { url, secret, keys, rate, total, firstNumber }) {
  let issueNumber = firstNumber;
  const answers = [];
  let maxLagMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    maxLagMs = Math.max(maxLagMs, performance.now() - due);
    const e = nextEvent(fake, secret, keys, i, () => ++issueNumber);
    parentPort.postMessage({ type: 'event', event: { n: i, kind: e.kind, key: e.key, wait: e.wait, sentAt: epochNow(), sentWall: Date.now() } });
    answers.push(
      fetch(`${url}/webhooks/jira`, { method: 'POST', headers: e.delivery.headers, body: e.delivery.body }).then(
        async (r) => (await r.arrayBuffer(), r.status),
        () => 0,
      ),
    );
  }
  return { statuses: await Promise.all(answers), maxLagMs };
}

if (!isMainThread && workerData?.fakeJiraThread) {
  const { startFakeJira } = await import(new URL('../dist/testing/index.js', import.meta.url).href);
  const fake = await startFakeJira(workerData.options);
  const ops = {
    seed: (n, options) => fake.seed(n, options),
    send: (options) => sendEvents(fake, options),
    /** The requests the fake got, as method, path and epoch time. */
    requests: () => fake.requests.map(({ method, path, at }) => ({ method, path, at })),
    close: () => fake.close(),
  };
  parentPort.on('message', async ({ id, op, args }) => {
    try {
      parentPort.postMessage({ id, value: await ops[op](...args) });
    } catch (e) {
      parentPort.postMessage({ id, error: String(e?.stack ?? e) });
    }
  });
  parentPort.postMessage({ type: 'ready', url: fake.url, email: fake.email, apiToken: fake.apiToken });
}

/**
 * Starts the fake on its own thread. Returns what startJiraBench needs of a fake (url, email,
 * apiToken, close) plus `seed`, `requests` and `send` (whose events reach `onEvent`), all async.
 */
export function startFakeJiraThread(options) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { fakeJiraThread: true, options } });
  const calls = new Map();
  let nextId = 0;
  let onEvent = () => {};
  const call = (op, ...args) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      calls.set(id, { resolve, reject });
      worker.postMessage({ id, op, args });
    });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m) => {
      if (m.type === 'event') return onEvent(m.event);
      if (m.type === 'ready') {
        return resolve({
          url: m.url,
          email: m.email,
          apiToken: m.apiToken,
          seed: (n, o) => call('seed', n, o),
          requests: () => call('requests'),
          send: (o, listener) => ((onEvent = listener), call('send', o)),
          close: async () => (await call('close'), await worker.terminate()),
        });
      }
      const pending = calls.get(m.id);
      calls.delete(m.id);
      if (m.error) pending?.reject(new Error(`fake Jira thread: ${m.error}`));
      else pending?.resolve(m.value);
    });
  });
}
