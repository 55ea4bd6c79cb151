import { tokens } from '@aida/core';
import type { AuthenticatedFetch } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { link, PNG, status, telegramHost, telegramUser, type TelegramTestHost } from './helpers.js';

let h: TelegramTestHost;
let ada: AuthenticatedFetch;
const chat = telegramUser('Ada');

beforeAll(async () => {
  h = await telegramHost();
  ada = await h.t.asUser('analyst');
  await link(h.fake, ada, chat);
});
afterAll(() => h?.stop());

const hub = () => h.t.host.resolve(tokens.notifications);

describe('the telegram notification channel', () => {
  it('delivers a notification as a text message to the linked chat', async () => {
    const since = h.fake.sent.length;
    const sent = await hub().send({
      userId: ada.user.id,
      title: 'Orders dropped',
      body: 'Orders fell 40 % since yesterday.',
      origin: 'test',
      channels: ['telegram'],
    });
    expect(sent.deliveries.telegram).toEqual({ status: 'delivered' });
    const m = await h.fake.waitForSent(chat.id, (x) => x.method === 'sendMessage' && /Orders dropped/.test(x.text ?? ''), { from: since });
    expect(m.text).toBe('Orders dropped\n\nOrders fell 40 % since yesterday.');
    // Recorded by the hub as delivered.
    const list = await (await ada('/api/notifications')).json();
    expect(list.notifications[0]).toMatchObject({ id: sent.notification.id, deliveries: { telegram: { status: 'delivered' } } });
  });

  it('delivers a notification with a chart as a photo (multipart upload), the message as its caption', async () => {
    const since = h.fake.sent.length;
    const sent = await hub().send({
      userId: ada.user.id,
      title: 'Revenue by day',
      body: 'Revenue is up 12 %.',
      origin: 'test',
      chart: { png: PNG, alt: 'revenue per day' },
      channels: ['telegram'],
    });
    expect(sent.deliveries.telegram).toEqual({ status: 'delivered' });
    const photo = await h.fake.waitForSent(chat.id, (x) => x.method === 'sendPhoto', { from: since });
    expect(photo.caption).toBe('Revenue by day\n\nRevenue is up 12 %.');
    expect(photo.photo!.equals(PNG)).toBe(true);
    const call = h.fake.callsOf('sendPhoto').at(-1)!;
    expect(Object.values(call.files)[0]!.filename).toBe('chart.png');
    expect(h.fake.sent.slice(since).filter((m) => m.chat_id === chat.id)).toHaveLength(1);
  });

  it('a message longer than a caption may be goes first as text, then the chart captioned with the title', async () => {
    const since = h.fake.sent.length;
    const body = 'x'.repeat(1500);
    const sent = await hub().send({ userId: ada.user.id, title: 'Long one', body, origin: 'test', chart: { png: PNG }, channels: ['telegram'] });
    expect(sent.deliveries.telegram).toEqual({ status: 'delivered' });
    const mine = h.fake.sent.slice(since).filter((m) => m.chat_id === chat.id);
    expect(mine.map((m) => m.method)).toEqual(['sendMessage', 'sendPhoto']);
    expect(mine[0]!.text).toBe(`Long one\n\n${body}`);
    expect(mine[1]!.caption).toBe('Long one');
    expect(mine[1]!.photo!.equals(PNG)).toBe(true);
  });

  it("waits out Telegram's 429 retry_after, then delivers", async () => {
    h.fake.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 });
    const before = h.fake.callsOf('sendMessage').length;
    const sent = await hub().send({ userId: ada.user.id, title: 'Slow down', body: 'flood control', origin: 'test', channels: ['telegram'] });
    expect(sent.deliveries.telegram).toEqual({ status: 'delivered' });
    const [refused, retried] = h.fake.callsOf('sendMessage').slice(before);
    expect(refused!.params.text).toBe(retried!.params.text);
    // The retry came no sooner than Telegram asked (1 s), and not much later.
    expect(retried!.at - refused!.at).toBeGreaterThanOrEqual(1000);
    expect(retried!.at - refused!.at).toBeLessThan(3000);
  });

  it('retries a 5xx of sendPhoto too, and gives up with the reason after a few attempts', async () => {
    h.fake.failNext('sendPhoto', { error_code: 502, description: 'Bad Gateway' });
    const once = await hub().send({ userId: ada.user.id, title: 'Chart', body: '', origin: 'test', chart: { png: PNG }, channels: ['telegram'] });
    expect(once.deliveries.telegram).toEqual({ status: 'delivered' });

    const bad = { error_code: 500, description: 'Internal Server Error' };
    h.fake.failNext('sendMessage', bad, bad, bad, bad);
    const failed = await hub().send({ userId: ada.user.id, title: 'Never', body: 'arrives', origin: 'test', channels: ['telegram'] });
    expect(failed.deliveries.telegram).toMatchObject({ status: 'failed' });
    expect(failed.deliveries.telegram!.detail).toContain('Internal Server Error');
    expect(failed.deliveries.telegram!.detail).not.toContain(h.fake.token);
    // Still linked: a server error says nothing about the chat.
    expect(await status(ada)).toMatchObject({ linked: true, broken: false });
  });

  it('skips users without a linked chat', async () => {
    const bob = await h.t.asUser('analyst');
    const sent = await hub().send({ userId: bob.user.id, title: 'Hi', body: 'there', origin: 'test', channels: ['telegram'] });
    expect(sent.deliveries.telegram).toMatchObject({ status: 'skipped', detail: 'no Telegram chat is linked' });
  });

  it('a blocked bot marks the link broken: failed once with the reason, skipped after, until linked again', async () => {
    const grace = await h.t.asUser('analyst');
    const graceChat = telegramUser('Grace');
    await link(h.fake, grace, graceChat);
    h.fake.block(graceChat.id);

    const first = await hub().send({ userId: grace.user.id, title: 'One', body: 'two', origin: 'test', channels: ['telegram'] });
    expect(first.deliveries.telegram).toMatchObject({ status: 'failed' });
    expect(first.deliveries.telegram!.detail).toContain('bot was blocked by the user');
    expect(await status(grace)).toMatchObject({ linked: true, broken: true, broken_reason: 'Forbidden: bot was blocked by the user' });

    const calls = h.fake.calls.length;
    const later = await hub().send({ userId: grace.user.id, title: 'Three', body: 'four', origin: 'test', channels: ['telegram'] });
    expect(later.deliveries.telegram).toMatchObject({ status: 'skipped' });
    expect(later.deliveries.telegram!.detail).toMatch(/broken/);
    // Nothing was even tried.
    expect(h.fake.calls.slice(calls).filter((c) => c.method !== 'getUpdates')).toEqual([]);

    // Unblocked and linked anew: deliveries resume.
    h.fake.unblock(graceChat.id);
    await link(h.fake, grace, graceChat);
    expect(await status(grace)).toMatchObject({ linked: true, broken: false });
    const again = await hub().send({ userId: grace.user.id, title: 'Back', body: 'again', origin: 'test', channels: ['telegram'] });
    expect(again.deliveries.telegram).toEqual({ status: 'delivered' });
  });

  it('keeps polling after getUpdates fails (a 5xx, a 429)', async () => {
    h.fake.failNext(
      'getUpdates',
      { error_code: 500, description: 'Internal Server Error' },
      { error_code: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 },
    );
    // Let the failing polls happen (the current long poll ends within poll_timeout, 2 s).
    const failedBefore = h.fake.callsOf('getUpdates').length;
    await new Promise((r) => setTimeout(r, 2500));
    const since = h.fake.sent.length;
    const user = telegramUser('Late');
    h.fake.userSends(user, '/help');
    await h.fake.waitForSent(user.id, () => true, { from: since, timeoutMs: 15_000 });
    expect(h.fake.callsOf('getUpdates').length).toBeGreaterThan(failedBefore + 2);
    const health = await (await h.t.request('/api/health')).json();
    expect(JSON.stringify(health)).not.toContain(h.fake.token);
  });
});
