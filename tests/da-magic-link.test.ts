// `da login --magic-link` end to end: the real binary asks the host (with the email plugin)
// for a link, the link arrives at a local SMTP server, and `da login --link` signs in once.
import { startTestHost, type TestHost } from '@aida/host/testing';
import emailPlugin from '@aida/plugin-auth-email';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daWorkspace } from '../packages/cli/test/helpers.js';
import { linkIn, startCaptureServer, type CaptureServer } from '../packages/plugin-auth-email/test/smtp-capture.js';

describe('da login with an emailed link', () => {
  let smtp: CaptureServer;
  let t: TestHost;
  const email = 'ada@example.test';

  beforeAll(async () => {
    smtp = await startCaptureServer();
    t = await startTestHost({
      plugins: [
        { plugin: emailPlugin, config: { smtp: { host: '127.0.0.1', port: smtp.port, secure: false, starttls: 'off', from: 'AIDA <aida@example.test>' } } },
      ],
    });
    const post = (path: string, body: unknown, token?: string) =>
      t.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    const admin = (await (await post('/auth/bootstrap', { email: 'admin@example.test', name: 'Admin', password: 'admin-password-1' })).json()) as {
      access_token: string;
    };
    expect((await post('/api/users', { email, name: 'Ada', role: 'analyst' }, admin.access_token)).status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
    await smtp?.close();
  });

  it('mails a link without blocking on a prompt, signs in with it once, and refuses it the second time', async () => {
    const ws = await daWorkspace();
    try {
      const since = smtp.mails.length;
      const sent = await ws.run(['login', '--server', t.url, '--email', email, '--magic-link', '--json']);
      expect(sent.code, sent.stderr + sent.stdout).toBe(0);
      expect(sent.json()).toMatchObject({ status: 'link_sent', email });
      const link = linkIn(await smtp.waitForMail(email, { since }));

      // A fresh workspace with no server configured: the link carries it.
      const other = await daWorkspace();
      try {
        const ok = await other.run(['login', '--link', link.toString(), '--json']);
        expect(ok.code, ok.stderr + ok.stdout).toBe(0);
        expect(ok.json()).toMatchObject({ server: t.url, user: { email, role: 'analyst' } });
        expect((await other.run(['whoami', '--json'])).json<{ user: { email: string } }>().user.email).toBe(email);
        const again = await other.run(['login', '--link', link.toString(), '--json']);
        expect(again.code).not.toBe(0);
        expect(again.json<{ error: { message: string } }>().error.message).toMatch(/invalid, expired or already used/);
      } finally {
        await other.cleanup();
      }
      const garbage = await ws.run(['login', '--link', 'not a link']);
      expect(garbage.code).toBe(2);
    } finally {
      await ws.cleanup();
    }
  });
});
