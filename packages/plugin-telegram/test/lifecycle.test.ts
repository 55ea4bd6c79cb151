import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tokens } from '@aida/core';
import { startTestHost } from '@aida/host/testing';
import { Bot } from 'grammy';
import { describe, expect, it } from 'vitest';
import { describeTelegramFailure } from '../src/bot/failures.js';
import plugin from '../src/index.js';
import { FakeTelegram } from './fake-telegram.js';
import { eventually, status, telegramHost, TOKEN_ENV } from './helpers.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Health {
  services: Record<string, { status: string; detail?: string }>;
}

describe('the bot as a host service', () => {
  it('the host starts while Telegram is unreachable; health says so, without the token; the box says the bot is connecting', async () => {
    const fake = await FakeTelegram.start(); // only for its token
    const port = await closedPort();
    const h = await telegramHost({ api_root: `http://127.0.0.1:${port}` }, {}, fake);
    try {
      const health = await eventually(async () => {
        const body = (await (await h.t.request('/api/health')).json()) as Health;
        const bot = body.services['telegram:bot'];
        return bot?.detail?.includes('cannot reach Telegram') ? { body, bot } : undefined;
      }, 'health to report the unreachable Telegram');
      expect(health.bot.status).toBe('unhealthy');
      expect(JSON.stringify(health.body)).not.toContain(fake.token);
      expect(health.bot.detail).toContain('getMe');

      const ada = await h.t.asUser('analyst');
      expect(await status(ada)).toMatchObject({ linked: false, bot_username: null });
      const dashboard = await h.t.request('/dashboard', { headers: { authorization: `Bearer ${ada.token}`, accept: 'text/html' } });
      expect(dashboard.status).toBe(200);
      expect(await dashboard.text()).toContain('still connecting to Telegram');
    } finally {
      await h.stop();
    }
  });

  it('stops promptly in the middle of a long poll', async () => {
    const h = await telegramHost({ poll_timeout: '30s' });
    await eventually(() => (h.fake.callsOf('getUpdates').length > 0 ? true : undefined), 'the first long poll');
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await h.stop();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('registers the telegram notification channel', async () => {
    const h = await telegramHost();
    try {
      const ada = await h.t.asUser('analyst');
      const sent = await h.t.host.resolve(tokens.notifications).send({ userId: ada.user.id, title: 't', body: 'b', origin: 'test' });
      expect(sent.deliveries.telegram).toMatchObject({ status: 'skipped' });
    } finally {
      await h.stop();
    }
  });
});

describe('configuration', () => {
  it('refuses webhook mode without a webhook secret, naming the field', async () => {
    process.env[TOKEN_ENV] = 'config-test-token-0123456789';
    await expect(startTestHost({ plugins: [{ plugin, config: { bot_token_env: TOKEN_ENV, mode: 'webhook' } }] })).rejects.toThrow(/webhook_secret_env/);
  });

  it('refuses a missing token variable, naming it', async () => {
    delete process.env.AIDA_TEST_TELEGRAM_UNSET;
    await expect(startTestHost({ plugins: [{ plugin, config: { bot_token_env: 'AIDA_TEST_TELEGRAM_UNSET' } }] })).rejects.toThrow(
      /AIDA_TEST_TELEGRAM_UNSET is not set/,
    );
  });
});

describe('failure descriptions', () => {
  it('never quote the bot token, which every request URL holds', async () => {
    const token = '987654321:AAsecret-token-never-to-be-seen_xyz';
    const bot = new Bot(token, { client: { apiRoot: `http://127.0.0.1:${await closedPort()}` } });
    const failure = await bot.api.getMe().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeDefined();
    const text = describeTelegramFailure(failure, token);
    expect(text).toMatch(/getMe/);
    expect(text).not.toContain(token);
  });
});
