// End to end through the host's alert rules (`/api/alerts`): a rule with a chart, tested with
// deliver=true, reaches the linked chat as a photo (the chart the host rendered) with the message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { link, telegramHost, telegramUser, writeTables, type TelegramTestHost } from './helpers.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
let h: TelegramTestHost;

beforeAll(async () => {
  h = await telegramHost();
  await writeTables(h.t, 'shop', {
    daily_orders: `SELECT DATE '2024-01-01' + range::INTEGER AS day, 10 + range * 3 AS orders FROM range(7)`,
  });
});
afterAll(() => h?.stop());

describe('an alert delivered on Telegram', () => {
  it('arrives as text and chart photo in the linked chat', async () => {
    const ada = await h.t.asUser('analyst');
    const chat = telegramUser('Ada');
    await link(h.fake, ada, chat);

    const created = await ada('/api/alerts', {
      method: 'POST',
      body: JSON.stringify({
        name: 'Orders this week',
        sql: 'SELECT day, orders FROM daily_orders ORDER BY day',
        message: '{{row_count}} days, last {{orders}} orders',
        schedule: '0 6 * * *',
        channels: ['telegram'],
        chart: { type: 'bar', x: 'day', y: 'orders' },
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const rule = (await created.json()) as { id: string };

    const since = h.fake.sent.length;
    const tested = await ada(`/api/alerts/${rule.id}/test?deliver=true`, { method: 'POST', body: JSON.stringify({}) });
    expect(tested.status, await tested.clone().text()).toBe(200);

    const photo = await h.fake.waitForSent(chat.id, (m) => m.method === 'sendPhoto', { from: since, timeoutMs: 30_000 });
    expect(photo.caption).toContain('Orders this week');
    expect(photo.caption).toMatch(/7 days/);
    expect(photo.photo!.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(photo.photo!.length).toBeGreaterThan(500);
  });
});
