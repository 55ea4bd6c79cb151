import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createToken, definePlugin, tokens, type HostInfo } from '@aida/core';
import { startTestHost } from '@aida/host/testing';

interface Mailer {
  readonly kind: string;
  send(to: string, text: string): Promise<void>;
}
const mailer = createToken<Mailer>('mailkit.mailer');
const llm = createToken<{ complete(prompt: string): Promise<string> }>('llmkit.provider');

const mailPlugin = definePlugin({
  id: 'mailkit',
  kind: 'service',
  config: z.object({}),
  provides: [mailer],
  init(_deps, { provide }) {
    provide(mailer, { kind: 'smtp', send: () => Promise.reject(new Error('no SMTP server in a test')) });
  },
});

/** Depends on the host's info, the mail plugin's mailer and an LLM nobody in the instance provides; shows what it got. */
const digestPlugin = definePlugin({
  id: 'digest',
  kind: 'extension',
  config: z.object({}),
  deps: { info: tokens.host, mailer, llm, routes: tokens.routes },
  init({ info, mailer: m, llm: model, routes }) {
    routes.add({
      method: 'POST',
      path: '/api/digest/send',
      access: 'public',
      handler: async (ctx) => {
        const text = await model.complete('summarise the day');
        await m.send('ada@example.com', text);
        ctx.body = { mailer: m.kind, baseUrl: info.baseUrl ?? null, text };
      },
    });
  },
});

describe('startTestHost overrides', () => {
  it('replace a host token and a plugin-provided token: the dependent plugin sees the stubs', async () => {
    const sent: { to: string; text: string }[] = [];
    const info: HostInfo = { dataDir: '/nowhere', version: 'test', demo: false, baseUrl: 'https://aida.example.com' };
    const t = await startTestHost({
      plugins: [mailPlugin, digestPlugin],
      overrides: [
        [tokens.host, info],
        [mailer, { kind: 'stub', send: async (to, text) => void sent.push({ to, text }) }],
        [llm, { complete: async (prompt) => `LLM says: ${prompt}` }],
      ],
    });
    const res = await t.request('/api/digest/send', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ mailer: 'stub', baseUrl: 'https://aida.example.com', text: 'LLM says: summarise the day' });
    expect(sent).toEqual([{ to: 'ada@example.com', text: 'LLM says: summarise the day' }]);
    // The provider plugin still ran; only its value was replaced.
    expect(t.host.plugins.map((p) => p.id)).toEqual(['mailkit', 'digest']);
    expect(t.host.resolve(mailer)).toMatchObject({ kind: 'stub' });
    await t.stop();
  });

  it('without the override, a dependency nobody provides stops the boot', async () => {
    await expect(startTestHost({ plugins: [mailPlugin, digestPlugin] })).rejects.toThrow(/needs 'llmkit.provider'/);
  });

  it('a token overridden twice is refused', async () => {
    const stub = { complete: async () => '' };
    await expect(
      startTestHost({
        overrides: [
          [llm, stub],
          [llm, stub],
        ],
      }),
    ).rejects.toThrow(/'llmkit.provider' is overridden twice/);
  });
});
