import { join } from 'node:path';
import { ExtractWriter, type Role } from '@aida/core';
import { startTestHost, type AuthenticatedFetch, type StartTestHostOptions, type TestHost } from '@aida/host/testing';
import { expect } from 'vitest';
import plugin from '../src/index.js';
import { FakeTelegram, type FakeUser } from './fake-telegram.js';

/** The variable the plugin reads the token from in these tests; set to the fake's token. */
export const TOKEN_ENV = 'AIDA_TEST_TELEGRAM_BOT_TOKEN';
export const WEBHOOK_SECRET_ENV = 'AIDA_TEST_TELEGRAM_WEBHOOK_SECRET';
export const WEBHOOK_SECRET = 'webhook-secret-for-tests_0123456789';

// A 1×1 PNG: what a chart is to the channel (bytes passed through unchanged).
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

let nextUserId = 900_000_001;
/** A Telegram user, new for each call (their private chat has the same id). */
export function telegramUser(first_name: string): FakeUser {
  const id = nextUserId++;
  return { id, first_name, username: `${first_name.toLowerCase()}_${id}` };
}

export interface TelegramTestHost {
  fake: FakeTelegram;
  t: TestHost;
  stop(): Promise<void>;
}

/** A fake Bot API server and a real host running the plugin against it (polling unless `config` says). */
export async function telegramHost(
  config: Record<string, unknown> = {},
  options: Omit<StartTestHostOptions, 'plugins'> = {},
  fake?: FakeTelegram,
): Promise<TelegramTestHost> {
  const api = fake ?? (await FakeTelegram.start());
  process.env[TOKEN_ENV] = api.token;
  process.env[WEBHOOK_SECRET_ENV] = WEBHOOK_SECRET;
  const t = await startTestHost({
    ...options,
    // Every request comes from 127.0.0.1: the per-address limit (shared with sign-ins) is raised,
    // the per-account one (10 a minute) is the default the tests count on.
    config: { analytics: { profile_after_rebuild: false }, auth: { signin_limit: { per_ip: 10_000 } }, ...options.config },
    plugins: [{ plugin, config: { bot_token_env: TOKEN_ENV, api_root: api.apiRoot, poll_timeout: '2s', ...config } }],
  });
  return {
    fake: api,
    t,
    stop: async () => {
      await t.stop();
      await api.stop();
    },
  };
}

/** The code in the bot's answer to /start (`ABCD-EFGH`). */
export function codeIn(text: string | undefined): string {
  const m = /link code: ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(text ?? '');
  if (!m) throw new Error(`no link code in ${JSON.stringify(text)}`);
  return m[1]!;
}

/** `user` sends /start; resolves with the code the bot answered. */
export async function askForCode(fake: FakeTelegram, user: FakeUser): Promise<string> {
  const since = fake.sent.length;
  fake.userSends(user, '/start');
  return codeIn((await fake.waitForSent(user.id, (m) => /link code/.test(m.text ?? ''), { from: since })).text);
}

export function verify(who: AuthenticatedFetch, code: string): Promise<Response> {
  return who('/api/telegram/verify', { method: 'POST', body: JSON.stringify({ code }) });
}

/** Links `user`'s chat to `who` the way a person does: /start, then the code on the API. */
export async function link(fake: FakeTelegram, who: AuthenticatedFetch, user: FakeUser): Promise<void> {
  const res = await verify(who, await askForCode(fake, user));
  expect(res.status, 'linking with a fresh code').toBe(200);
}

export async function status(who: AuthenticatedFetch): Promise<Record<string, unknown>> {
  const res = await who('/api/telegram/status');
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** Writes tables into a source's extract and rebuilds the analytics database, as a connector's sync would. */
export async function writeTables(t: TestHost, source: string, tables: Record<string, string>): Promise<void> {
  const w = await ExtractWriter.open(join(t.dataDir, 'extracts', source));
  for (const [name, sql] of Object.entries(tables)) await w.writeTable(name, sql);
  await w.commit();
  await t.host.orchestrator.rebuild();
}

/** A browser's session: the session cookie from the login form (page forms need it and its CSRF token). */
export interface Browser {
  api: AuthenticatedFetch;
  cookie: string;
}

const PASSWORD = 'telegram-page-password-1';

export async function browser(t: TestHost, role: Role = 'analyst'): Promise<Browser> {
  const api = await t.asUser(role, { password: PASSWORD });
  const res = await t.request('/auth/password/login/web', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: api.user.email, password: PASSWORD }).toString(),
  });
  expect(res.status).toBe(302);
  return { api, cookie: res.headers.get('set-cookie')!.split(';')[0]! };
}

export async function getPage(t: TestHost, path: string, who: Browser): Promise<{ status: number; text: string }> {
  const res = await t.request(path, { redirect: 'manual', headers: { accept: 'text/html', cookie: who.cookie } });
  return { status: res.status, text: await res.text() };
}

export async function postForm(t: TestHost, path: string, who: Browser, fields: Record<string, string>) {
  const res = await t.request(path, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: who.cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

export function csrfOf(page: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1]!;
}

/** Polls `check` until it returns something other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
