// The fakes' delays: a slow answer must never take a step scripted for a later request. The
// extraction tests script a timeout and, a moment later, the next run's answer; a delayed
// handler that took the queue's next step when its wait ended answered a client that had given
// up with it, and the later request (often a later test's) got "no scripted answer".
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeAnthropic } from './anthropic-server.js';
import { FakeOpenAi } from './openai-server.js';
import type { DelayStep, ScriptedServer } from './http-fake.js';

const KEY = 'sk-fake-delay-test-key';

let anthropic: FakeAnthropic;
let openai: FakeOpenAi;

beforeAll(async () => {
  anthropic = await FakeAnthropic.start({ apiKey: KEY });
  openai = await FakeOpenAi.start({ apiKey: KEY });
});
afterAll(async () => {
  await anthropic?.close();
  await openai?.close();
});
beforeEach(() => {
  for (const fake of [anthropic, openai]) {
    fake.requests.length = 0;
    fake.respond = undefined;
  }
});

/** A delay with no `then`. */
const delay = (ms: number): DelayStep<never> => ({ kind: 'delay', ms });

/** A fake as these tests script it: either vendor's steps are objects with a `kind`. */
type Scripted = ScriptedServer<{ kind: string }>;

interface Vendor {
  name: string;
  fake: () => Scripted;
  /** A valid request to the fake. */
  send: (signal?: AbortSignal) => Promise<Response>;
  /** The answer in a reply: the tool call's input, or the JSON content. */
  answerOf: (res: Response) => Promise<unknown>;
  /** A step answering `value`. */
  step: (value: unknown) => { kind: string };
}

const vendors: Vendor[] = [
  {
    name: 'Anthropic',
    fake: () => anthropic,
    send: (signal) =>
      fetch(`${anthropic.url}/v1/messages`, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
      }),
    answerOf: async (res) => ((await res.json()) as { content: { input: unknown }[] }).content[0].input,
    step: (value) => ({ kind: 'tool_use', input: value }),
  },
  {
    name: 'OpenAI',
    fake: () => openai,
    send: (signal) =>
      fetch(`${openai.baseURL}/chat/completions`, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }),
      }),
    answerOf: async (res) => JSON.parse(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content) as unknown,
    step: (value) => ({ kind: 'json', value }),
  },
];

describe.each(vendors)('$name fake: delays', ({ fake, send, answerOf, step }) => {
  /** Until the fake has logged `n` requests: a request is not its own until it arrived. */
  const arrived = async (n: number) => {
    while (fake().requests.length < n) await sleep(5);
  };

  it('a delay whose client gave up takes nothing scripted for the next request', async () => {
    fake().enqueue(delay(300));
    // The client gives up once the fake has the request (and has taken the delay for it).
    const gaveUp = new AbortController();
    const abandoned = send(gaveUp.signal);
    await arrived(1);
    gaveUp.abort();
    await expect(abandoned).rejects.toThrow();
    // The next request's answer is scripted while the abandoned one still waits, and asked for after its wait ended.
    fake().enqueue(step({ next: true }));
    await sleep(400);
    const res = await send();
    expect(res.status).toBe(200);
    expect(await answerOf(res)).toEqual({ next: true });
    expect(fake().pending).toBe(0);
  });

  it('a delay without `then` answers with the default, not with the step queued for the next request', async () => {
    fake().enqueue(delay(200), step({ second: true }));
    const first = send();
    // The second request comes after the first one's wait: the queued step is still its own.
    await arrived(1);
    await sleep(300);
    const second = await send();
    expect(await answerOf(second)).toEqual({ second: true });
    expect(await answerOf(await first)).toEqual({});
  });

  it('a delay without `then` answers with `respond` when there is one', async () => {
    fake().respond = () => step({ responded: true });
    fake().enqueue(delay(50));
    expect(await answerOf(await send())).toEqual({ responded: true });
  });
});
