import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askForCode, status, telegramHost, telegramUser, verify, type TelegramTestHost } from './helpers.js';

let h: TelegramTestHost;

beforeAll(async () => {
  // A short life, so the test can outlive a code.
  h = await telegramHost({ link_code_ttl: '1s' });
});
afterAll(() => h?.stop());

describe('link code expiry', () => {
  it('says how long the code is valid, and refuses it once that has passed', async () => {
    const ada = await h.t.asUser('analyst');
    const chat = telegramUser('Ada');
    const since = h.fake.sent.length;
    h.fake.userSends(chat, '/start');
    const answer = await h.fake.waitForSent(chat.id, (m) => /link code/.test(m.text ?? ''), { from: since });
    expect(answer.text).toMatch(/expires in 1 second|expires just now/);
    const code = /([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(answer.text!)![1]!;

    await new Promise((r) => setTimeout(r, 1300));
    const res = await verify(ada, code);
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('TELEGRAM_LINK_CODE_INVALID');
    expect(await status(ada)).toMatchObject({ linked: false });

    // A fresh code, entered in time, works.
    expect((await verify(ada, await askForCode(h.fake, chat))).status).toBe(200);
  });
});
