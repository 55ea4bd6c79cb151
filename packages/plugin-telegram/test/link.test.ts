import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticatedFetch } from '@aida/host/testing';
import { askForCode, codeIn, link, status, telegramHost, telegramUser, verify, writeTables, type TelegramTestHost } from './helpers.js';

let h: TelegramTestHost;

beforeAll(async () => {
  h = await telegramHost();
});
afterAll(() => h?.stop());

describe('linking a Telegram chat to an account', () => {
  it('/start answers a one-time code; entering it links the chat, and the chat is told', async () => {
    const ada = await h.t.asUser('analyst');
    const chat = telegramUser('Ada');
    expect(await status(ada)).toMatchObject({ linked: false, bot_username: h.fake.botUsername });

    const code = await askForCode(h.fake, chat);
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    const since = h.fake.sent.length;
    // Typed carelessly: lower case, spaces instead of the dash.
    const res = await verify(ada, ` ${code.toLowerCase().replace('-', ' ')} `);
    expect(res.status).toBe(200);
    const linked = await res.json();
    expect(linked).toMatchObject({ linked: true, chat_username: chat.username, broken: false, bot_username: h.fake.botUsername });
    expect(Date.parse(linked.linked_at)).toBeGreaterThan(0);
    expect(await status(ada)).toEqual(linked);

    const told = await h.fake.waitForSent(chat.id, (m) => /now linked/.test(m.text ?? ''), { from: since });
    expect(told.text).toContain(ada.user.email);
  });

  it('refuses a code used once already, with the same answer as a wrong one', async () => {
    const grace = await h.t.asUser('analyst');
    const other = await h.t.asUser('analyst');
    const code = await askForCode(h.fake, telegramUser('Grace'));
    expect((await verify(grace, code)).status).toBe(200);

    const again = await verify(other, code);
    expect(again.status).toBe(400);
    const body = await again.json();
    expect(body).toMatchObject({ code: 'TELEGRAM_LINK_CODE_INVALID', detail: { issues: [{ field: 'code' }] } });
    const wrong = await verify(other, 'ABCD-EFGH');
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).message).toBe(body.message);
    expect(await status(other)).toMatchObject({ linked: false });
    // The first user keeps the chat.
    expect(await status(grace)).toMatchObject({ linked: true });
  });

  it("a new /start replaces the chat's previous code", async () => {
    const linus = await h.t.asUser('analyst');
    const chat = telegramUser('Linus');
    const first = await askForCode(h.fake, chat);
    const second = await askForCode(h.fake, chat);
    expect(second).not.toBe(first);
    expect((await verify(linus, first)).status).toBe(400);
    expect((await verify(linus, second)).status).toBe(200);
  });

  it('limits wrong attempts per account: past the limit even a right code is refused with 429', async () => {
    const mallory = await h.t.asUser('analyst');
    const good = await askForCode(h.fake, telegramUser('Mallory'));
    const answers: number[] = [];
    // The host's `signin` bucket allows 10 attempts a minute per account.
    for (let i = 0; i < 10; i++) answers.push((await verify(mallory, `WRNG-${String(i).padStart(4, '2').replace(/[01]/g, '3')}`)).status);
    expect(answers.every((s) => s === 400)).toBe(true);
    const limited = await verify(mallory, good);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).code).toBe('AIDA_RATE_LIMITED');
    expect(await status(mallory)).toMatchObject({ linked: false });
  });

  it('one chat per user: linking another chat replaces the first, and a chat linked anew leaves its former user', async () => {
    const ken = await h.t.asUser('analyst');
    const ritchie = await h.t.asUser('analyst');
    const phone = telegramUser('Ken');
    const laptop = telegramUser('KenToo');
    await link(h.fake, ken, phone);
    await link(h.fake, ken, laptop);
    expect(await status(ken)).toMatchObject({ linked: true, chat_username: laptop.username });

    // Ritchie enters a code from Ken's laptop chat: the chat is Ritchie's now, Ken has none.
    await link(h.fake, ritchie, laptop);
    expect(await status(ritchie)).toMatchObject({ linked: true, chat_username: laptop.username });
    expect(await status(ken)).toMatchObject({ linked: false });
  });

  it('unlink removes the link (and is fine when there is none)', async () => {
    const barbara = await h.t.asUser('viewer');
    await link(h.fake, barbara, telegramUser('Barbara'));
    const res = await barbara('/api/telegram/unlink', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ linked: false, linked_at: null, chat_username: null });
    expect(await status(barbara)).toMatchObject({ linked: false });
    expect((await barbara('/api/telegram/unlink', { method: 'POST' })).status).toBe(200);
  });

  it('the API needs a signed-in user', async () => {
    expect((await h.t.request('/api/telegram/status')).status).toBe(401);
    const res = await h.t.request('/api/telegram/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'ABCD-EFGH' }),
    });
    expect(res.status).toBe(401);
  });
});

describe('the bot in the chat', () => {
  let alan: AuthenticatedFetch;
  const chat = telegramUser('Alan');

  beforeAll(async () => {
    await writeTables(h.t, 'shop', { orders: 'SELECT range AS id FROM range(42)', customers: 'SELECT range AS id FROM range(7)' });
    await writeTables(h.t, 'hr', { salaries: 'SELECT range AS id FROM range(3)' });
    const admin = await h.t.asAdmin();
    const priv = await admin('/api/admin/registry/salaries', { method: 'PUT', body: JSON.stringify({ is_public: false }) });
    expect(priv.status, await priv.clone().text()).toBe(200);
    alan = await h.t.asUser('analyst');
    await link(h.fake, alan, chat);
  });

  it('/status lists the data the linked user can read, and only that', async () => {
    const since = h.fake.sent.length;
    h.fake.userSends(chat, '/status');
    const answer = (await h.fake.waitForSent(chat.id, (m) => /can read/.test(m.text ?? ''), { from: since })).text!;
    expect(answer).toContain(alan.user.email);
    expect(answer).toMatch(/orders/);
    expect(answer).toMatch(/customers/);
    expect(answer).not.toMatch(/salaries/);

    // The admin reads the private table too: the answer follows the user's permissions.
    const admin = await h.t.asAdmin();
    const adminChat = telegramUser('Admin');
    await link(h.fake, admin, adminChat);
    const later = h.fake.sent.length;
    h.fake.userSends(adminChat, '/status');
    expect((await h.fake.waitForSent(adminChat.id, (m) => /can read/.test(m.text ?? ''), { from: later })).text).toMatch(/salaries/);
  });

  it('an unknown chat is told to link, for /status and for anything else', async () => {
    const stranger = telegramUser('Stranger');
    const since = h.fake.sent.length;
    h.fake.userSends(stranger, '/status');
    expect((await h.fake.waitForSent(stranger.id, () => true, { from: since })).text).toMatch(/not linked.*\/start/s);
    const later = h.fake.sent.length;
    h.fake.userSends(stranger, 'hello?');
    expect((await h.fake.waitForSent(stranger.id, () => true, { from: later })).text).toMatch(/not linked/);
  });

  it('/help lists the commands', async () => {
    const since = h.fake.sent.length;
    h.fake.userSends(chat, '/help');
    const text = (await h.fake.waitForSent(chat.id, (m) => /\/status/.test(m.text ?? ''), { from: since })).text!;
    expect(text).toMatch(/\/start/);
    expect(text).toMatch(/\/help/);
  });

  it('the code in /start is what the bot says it is (ABCD-EFGH)', () => {
    expect(codeIn('Your AIDA link code: ABCD-EFGH')).toBe('ABCD-EFGH');
  });

  it('polls getUpdates with an offset that confirms what it handled', () => {
    const polls = h.fake.callsOf('getUpdates');
    expect(polls.length).toBeGreaterThan(3);
    const offsets = polls.map((c) => Number(c.params.offset ?? 0));
    // Never goes back: each update is handled once.
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThanOrEqual(offsets[i - 1]!);
    expect(polls.at(-1)!.params.timeout).toBe(2);
  });
});
