import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_HEADER } from '../src/routes/webhook.js';
import { codeIn, eventually, status, telegramHost, telegramUser, verify, WEBHOOK_SECRET, WEBHOOK_SECRET_ENV, type TelegramTestHost } from './helpers.js';

let h: TelegramTestHost;

beforeAll(async () => {
  h = await telegramHost({ mode: 'webhook', webhook_secret_env: WEBHOOK_SECRET_ENV }, { config: { instance: { base_url: 'https://aida.example.test' } } });
});
afterAll(() => h?.stop());

function deliver(update: unknown, secret: string | undefined): Promise<Response> {
  return h.t.request('/webhooks/telegram', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret === undefined ? {} : { [SECRET_HEADER]: secret }) },
    body: JSON.stringify(update),
  });
}

describe('webhook mode', () => {
  it('registers the webhook with Telegram, with the secret, and does not poll', async () => {
    const webhook = await eventually(() => h.fake.webhook ?? undefined, 'setWebhook');
    expect(webhook).toEqual({ url: 'https://aida.example.test/webhooks/telegram', secret_token: WEBHOOK_SECRET });
    expect(h.fake.callsOf('getUpdates')).toEqual([]);
  });

  it('refuses a delivery without the secret or with a wrong one (401), and handles nothing of it', async () => {
    const user = telegramUser('Eve');
    const calls = h.fake.callsOf('sendMessage').length;
    for (const secret of [undefined, 'wrong-secret', `${WEBHOOK_SECRET}x`, '']) {
      const res = await deliver(h.fake.updateFor(user, '/start'), secret);
      expect(res.status, `secret ${JSON.stringify(secret)}`).toBe(401);
      expect((await res.json()).code).toBe('TELEGRAM_WEBHOOK_SECRET_INVALID');
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.callsOf('sendMessage').length).toBe(calls);
  });

  it('handles an update posted with the secret: /start answers a code that links the chat', async () => {
    const ada = await h.t.asUser('analyst');
    const chat = telegramUser('Ada');
    const since = h.fake.sent.length;
    const res = await deliver(h.fake.updateFor(chat, '/start'), WEBHOOK_SECRET);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    const answer = await h.fake.waitForSent(chat.id, (m) => /link code/.test(m.text ?? ''), { from: since });
    expect(answer.text).toContain('https://aida.example.test/dashboard');
    expect((await verify(ada, codeIn(answer.text))).status).toBe(200);
    expect(await status(ada)).toMatchObject({ linked: true, chat_username: chat.username });
  });

  it('handles a repeated delivery of the same update once, and refuses a body that is no update', async () => {
    const chat = telegramUser('Twice');
    const update = h.fake.updateFor(chat, '/help');
    expect((await deliver(update, WEBHOOK_SECRET)).status).toBe(200);
    expect((await deliver(update, WEBHOOK_SECRET)).status).toBe(200);
    await h.fake.waitForSent(chat.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.sent.filter((m) => m.chat_id === chat.id)).toHaveLength(1);

    const bad = await deliver({ hello: 'world' }, WEBHOOK_SECRET);
    expect(bad.status).toBe(400);
  });
});
