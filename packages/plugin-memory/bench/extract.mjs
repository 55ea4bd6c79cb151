// Corporate memory's extraction (`memory:extract`'s run) of 100 analysts' notes through the
// anthropic provider against a local fake Messages API, into the real system database: calls
// per note and time, against the bare HTTP round-trips of the same requests to the same fake
// (same concurrency) in the same run, so the ratio is what extraction adds around the model
// calls (scrubbing, prompt, SDK, validation, sensitivity, dedupe, storing). Then a second run
// over the unchanged notes, which must make no call.
// Run: `node packages/plugin-memory/bench/extract.mjs` (after `npx tsc -b packages/plugin-memory`);
// BENCH_MEMORY_NOTES scales it.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHost } from '@aida/host';
import { pino } from 'pino';

const dist = new URL('../dist/', import.meta.url);
const { memoryPlugin, MemoryStore, createProvider, parseLlmConfig } = await import(new URL('index.js', dist).href);
const { runExtraction } = await import(new URL('extract/index.js', dist).href);

const API_KEY = 'sk-ant-bench-key';
const CONCURRENCY = 4;

/**
 * A minimal Messages API: answers every `POST /v1/messages` with a forced tool call whose items
 * are the note's bullets (as a model would restate them), so dedupe and storing get real work.
 */
async function startFakeModel() {
  const bodies = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    if (req.headers['x-api-key'] !== API_KEY && req.headers.authorization !== `Bearer ${API_KEY}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}');
      return;
    }
    bodies.push(text);
    const body = JSON.parse(text);
    const user = body.messages[0].content;
    const notes = /<<<UNTRUSTED_NOTES_[0-9a-f]+>>>\n([\s\S]*?)\n<<<END_UNTRUSTED_NOTES_/.exec(user)?.[1] ?? '';
    const email = /Notes of (\S+):/.exec(user)?.[1] ?? 'unknown';
    const items = notes
      .split('\n')
      .filter((l) => l.startsWith('- '))
      .map((l) => l.slice(2))
      .map((line) => {
        const [title, ...rest] = line.split(': ');
        return { existing_id: null, title, content: rest.join(': ') || title, category: 'data_analysis', tags: ['bench'], source_users: [email] };
      });
    const answer = JSON.stringify({
      id: `msg_${randomBytes(8).toString('hex')}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'tool_use', id: `toolu_${randomBytes(8).toString('hex')}`, name: body.tool_choice.name, input: { items } }],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: Math.ceil(text.length / 4), output_tokens: Math.ceil(JSON.stringify(items).length / 4) },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, bodies, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))) };
}

/** 100 notes: 8 bullets each, 3 of them facts colleagues share (so they merge), one with a secret in every tenth note. */
function makeNotes(n) {
  const shared = Array.from({ length: 40 }, (_, i) => `Shared fact ${i}: the \`fact_${i}\` table is refreshed every ${i + 1} hours and keyed by \`id_${i}\``);
  return Array.from({ length: n }, (_, u) => {
    const lines = [`# Notes of analyst ${u}`, ''];
    for (let k = 0; k < 3; k++) lines.push(`- ${shared[(u * 3 + k) % shared.length]}`);
    for (let k = 0; k < 5; k++) {
      lines.push(`- Own fact ${u}-${k}: column \`c_${u}_${k}\` of \`t_${u}\` counts ${k + 2} kinds of event ${u * 7 + k}`);
    }
    if (u % 10 === 0) lines.push(`- Staging access: postgres://etl:Pw${u}secret@db.internal/sales`);
    lines.push('', 'Some paragraph text that is not a bullet, as notes have.');
    const content = lines.join('\n');
    return { userId: `u${u}`, email: `analyst${u}@acme.example`, content, sha256: createHash('sha256').update(content).digest('hex'), updatedAt: new Date() };
  });
}

async function rawRoundTrips(url, bodies) {
  const queue = [...bodies];
  const worker = async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      const res = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01' },
        body: b,
      });
      await res.json();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return performance.now() - t0;
}

/** Returns { ms, baselineMs, ratio, callsPerNote, outcome, rerunMs, writesMs } for `notes` notes. */
export async function benchMemoryExtract({ notes = 100, report } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'aida-bench-memory-extract-'));
  const fake = await startFakeModel();
  const host = await createHost({ dataDir: dir, plugins: [{ plugin: memoryPlugin, config: {} }], config: {}, logger: pino({ level: 'silent' }) });
  await host.start();
  try {
    const store = new MemoryStore(host.systemDb, { halfLifeMs: 365 * 86_400_000 });
    // Time spent in the store's writes (serialized, so their sum is wall time): where the rest goes.
    let storeMs = 0;
    const timed = (obj, name) => {
      const fn = obj[name].bind(obj);
      obj[name] = async (...args) => {
        const t = performance.now();
        try {
          return await fn(...args);
        } finally {
          storeMs += performance.now() - t;
        }
      };
    };
    // A note's items, drops and state are one transaction (saveExtraction); markNote is for notes with nothing to store.
    timed(store.items, 'saveExtraction');
    timed(store.notes, 'markNote');
    const all = makeNotes(notes);
    const source = { list: async () => all };
    const backend = createProvider(parseLlmConfig({ provider: 'anthropic', api_key_env: 'K', base_url: fake.url }, { K: API_KEY }));
    const run = () =>
      runExtraction({
        notes: source,
        store,
        backend,
        approval: 'review',
        budget: { max_calls_per_run: 1000, max_tokens_per_run: 100_000_000 },
        concurrency: CONCURRENCY,
      });

    const t0 = performance.now();
    const outcome = await run();
    const ms = performance.now() - t0;
    const writesMs = storeMs;
    if (outcome.notes_failed || outcome.notes_changed !== notes) throw new Error(`unexpected outcome: ${JSON.stringify(outcome)}`);
    const t1 = performance.now();
    const rerun = await run();
    const rerunMs = performance.now() - t1;
    if (rerun.llm.calls !== 0 || rerun.notes_changed !== 0) throw new Error(`the second run asked again: ${JSON.stringify(rerun)}`);

    const bodies = fake.bodies.slice(0, outcome.llm.calls);
    const secretsSent = bodies.filter((b) => /Pw\d+secret/.test(b)).length;
    if (secretsSent) throw new Error(`${secretsSent} requests carried a secret`);
    const baselineMs = await rawRoundTrips(fake.url, bodies);
    const callsPerNote = outcome.llm.calls / outcome.notes_changed;
    const ratio = ms / baselineMs;
    const name = `memory extraction of ${notes} notes (${callsPerNote.toFixed(2)} LLM calls/note; ${outcome.items_created} created, ${outcome.items_merged} merged, ${outcome.dropped_unsafe} unsafe dropped, ${outcome.secrets_scrubbed} secrets scrubbed) against a local fake Messages API`;
    const baselineName = `the same ${bodies.length} requests as bare HTTP round-trips to the fake (concurrency ${CONCURRENCY})`;
    if (report) {
      report(name, ms, 'ms', { baseline: baselineMs, baselineName });
      report(
        `  of which the store's writes (${outcome.items_created + outcome.items_merged + outcome.items_unchanged} upserts in ${notes} note transactions; ${(writesMs / notes).toFixed(2)} ms/note)`,
        writesMs,
        'ms',
      );
      report(`memory extraction re-run over ${notes} unchanged notes (0 LLM calls)`, rerunMs, 'ms');
    } else {
      console.log(
        `${name}: ${ms.toFixed(1)} ms (${(ms / notes).toFixed(2)} ms/note)  | ${baselineName}: ${baselineMs.toFixed(1)} ms  | ratio ${ratio.toFixed(2)}x`,
      );
      console.log(
        `  of which the store's writes (${outcome.items_created + outcome.items_merged + outcome.items_unchanged} upserts in ${notes} note transactions): ${writesMs.toFixed(1)} ms (${(writesMs / notes).toFixed(2)} ms/note)`,
      );
      console.log(`memory extraction re-run over ${notes} unchanged notes: ${rerunMs.toFixed(1)} ms, ${rerun.llm.calls} LLM calls`);
    }
    return { ms, baselineMs, ratio, callsPerNote, outcome, rerunMs, writesMs };
  } finally {
    await host.stop();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchMemoryExtract({ notes: Number(process.env.BENCH_MEMORY_NOTES ?? 100) });
}
