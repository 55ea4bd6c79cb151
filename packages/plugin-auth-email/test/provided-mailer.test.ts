import { definePlugin, mailerToken, type Mailer } from '@aida/core';
import { startTestHost, type TestHost } from '@aida/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import plugin from '../src/index.js';
import { smtpConfig } from './helpers.js';
import { startCaptureServer, type CaptureServer } from './smtp-capture.js';

/** A plugin that mails through whatever Mailer the instance has, as the host's invitations do. */
function mailingPlugin(got: { mailer?: Mailer }) {
  return definePlugin({
    id: 'invites',
    kind: 'service',
    config: z.object({}),
    deps: { mailer: mailerToken },
    init({ mailer }) {
      got.mailer = mailer;
    },
  });
}

async function health(t: TestHost): Promise<{ status: string; detail?: string } | undefined> {
  const body = (await (await t.request('/api/health')).json()) as { services?: Record<string, { status: string; detail?: string }> };
  return body.services?.['email:mailer'];
}

describe('the email plugin provides the Mailer over its SMTP transport', () => {
  let smtp: CaptureServer;
  let t: TestHost;
  const got: { mailer?: Mailer } = {};

  beforeAll(async () => {
    smtp = await startCaptureServer();
    // Listed before the email plugin: `provides` orders the email plugin first.
    t = await startTestHost({ plugins: [mailingPlugin(got), { plugin, config: { smtp: smtpConfig(smtp.port), subject: 'Sign in' } }] });
  });
  afterAll(async () => {
    await t?.stop();
    await smtp?.close();
  });

  it('a plugin depending on mailerToken gets it, and so does the host', () => {
    expect(got.mailer).toBeDefined();
    expect(t.host.container.isRegistered(mailerToken.symbol, true)).toBe(true);
    expect(t.host.resolve(mailerToken)).toBe(got.mailer);
  });

  it('send() delivers the message from the configured sender, text and HTML', async () => {
    await got.mailer!.send({
      to: 'ada@example.test',
      subject: 'You are invited to AIDA',
      text: 'Set your password: https://aida.example.test/login/setup?token=abc',
      html: '<p><a href="https://aida.example.test/login/setup?token=abc">Set your password</a></p>',
    });
    const mail = await smtp.waitForMail('ada@example.test');
    expect(mail.from).toBe('aida@example.test');
    expect(mail.raw).toMatch(/^Subject: You are invited to AIDA/m);
    expect(mail.raw).toMatch(/^From: AIDA <aida@example\.test>/m);
    expect(mail.raw).toContain('Set your password: https://aida.example.test/login/setup?token=abc');
    expect(mail.raw).toMatch(/Content-Type: text\/html/i);
  });

  it('only the Mailer fields are sent: a sender or attachment smuggled into the message is ignored', async () => {
    const since = smtp.mails.length;
    const message = { to: 'ben@example.test', subject: 'Hi', text: 'plain only', from: 'ceo@evil.example', attachments: [{ path: '/etc/hostname' }] };
    await got.mailer!.send(message);
    const mail = await smtp.waitForMail('ben@example.test', { since });
    expect(mail.from).toBe('aida@example.test');
    expect(mail.raw).not.toContain('evil.example');
    expect(mail.raw).not.toMatch(/Content-Disposition: attachment/i);
    expect(mail.raw).not.toMatch(/Content-Type: text\/html/i);
  });

  it('health reports the last delivery, whichever kind of mail it was', async () => {
    expect(await health(t)).toMatchObject({ status: 'healthy', detail: 'the last mail was delivered' });
  });
});

describe('a refused Mailer delivery', () => {
  let smtp: CaptureServer;
  let t: TestHost;
  const got: { mailer?: Mailer } = {};

  beforeAll(async () => {
    smtp = await startCaptureServer({ rejectRecipients: true });
    t = await startTestHost({ plugins: [mailingPlugin(got), { plugin, config: { smtp: smtpConfig(smtp.port) } }] });
  });
  afterAll(async () => {
    await t?.stop();
    await smtp?.close();
  });

  it('rejects with a readable reason and turns the plugin degraded', async () => {
    await expect(got.mailer!.send({ to: 'ada@example.test', subject: 'x', text: 'y' })).rejects.toThrow(/SMTP delivery to 127\.0\.0\.1 failed: .*550/);
    expect(await health(t)).toMatchObject({ status: 'degraded' });
    expect(smtp.mails).toHaveLength(0);
  });
});

describe('without SMTP (the demo)', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost({ plugins: [{ plugin, config: {} }] });
  });
  afterAll(() => t?.stop());

  it('provides no Mailer, so the host shows links instead of pretending to mail them', () => {
    expect(t.host.container.isRegistered(mailerToken.symbol, true)).toBe(false);
  });
});
