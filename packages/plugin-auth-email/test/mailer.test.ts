import { describe, expect, it } from 'vitest';
import { emailConfigSchema } from '../src/config.js';
import { composeSignInMail, describeDeliveryError, describeDuration, LinkMailer } from '../src/mailer.js';
import { buildLink } from '../src/routes.js';
import { smtpConfig } from './helpers.js';
import { closedPort, linkIn, startCaptureServer } from './smtp-capture.js';

/** A logger that keeps what it is given, to read back what an admin would see in the log. */
function recordingLogger() {
  const lines: { level: string; fields: unknown; msg: string }[] = [];
  const at = (level: string) => (fields: unknown, msg?: string) =>
    lines.push(typeof fields === 'string' ? { level, fields: {}, msg: fields } : { level, fields, msg: msg ?? '' });
  const logger = { warn: at('warn'), info: at('info'), error: at('error'), debug: at('debug'), child: () => logger };
  return { logger: logger as never, lines, text: () => JSON.stringify(lines) };
}

const config = (value: unknown) => emailConfigSchema.parse(value);

describe('sign-in link delivery', () => {
  it('without SMTP the link is written to the log with a warning, not mailed', async () => {
    const log = recordingLogger();
    const mailer = new LinkMailer(config({}), log.logger);
    expect(mailer.mode).toBe('log');
    const link = buildLink('http://localhost:8000', 'ada@example.test', 'secret-token');
    await mailer.deliver('ada@example.test', link);
    const warning = log.lines.find((l) => l.level === 'warn');
    expect(warning?.msg).toContain(link);
    expect(warning?.msg).toContain('ada@example.test');
    expect(mailer.health()).toMatchObject({ status: 'healthy' });
  });

  it('the link carries the address and token, URL-encoded, on the base URL', () => {
    const link = new URL(buildLink('https://aida.example.test/base/', 'a+b@example.test', 't/k=n'));
    expect(link.pathname).toBe('/base/auth/email/verify');
    expect(link.searchParams.get('email')).toBe('a+b@example.test');
    expect(link.searchParams.get('token')).toBe('t/k=n');
  });

  it('the mail has the link in text and (escaped) in HTML', () => {
    const link = buildLink('https://aida.example.test', 'ada@example.test', 'tok');
    const { text, html } = composeSignInMail(link, 3_600_000);
    expect(text).toContain(link);
    expect(text).toContain('valid for 1 hour');
    expect(html).toContain(link.replace('&', '&amp;'));
  });

  it('mails the link through the SMTP server', async () => {
    const smtp = await startCaptureServer();
    const mailer = new LinkMailer(config({ smtp: smtpConfig(smtp.port), subject: 'Sign in to ACME data' }), recordingLogger().logger);
    try {
      const link = buildLink('https://aida.example.test', 'ada@example.test', 'a'.repeat(43));
      await mailer.deliver('ada@example.test', link);
      const mail = await smtp.waitForMail('ada@example.test');
      expect(linkIn(mail).toString()).toBe(link);
      expect(mail.raw).toMatch(/^Subject: Sign in to ACME data/m);
      expect(mailer.health()).toMatchObject({ status: 'healthy' });
    } finally {
      await mailer.stop();
      await smtp.close();
    }
  });

  it('a failed delivery is logged without the SMTP password or the token, and health turns degraded', async () => {
    const smtp = await startCaptureServer({ credentials: { user: 'mailer', pass: 'right-password' } });
    const log = recordingLogger();
    const password = 'wrong-password-123';
    process.env.AIDA_TEST_MAILER_PASSWORD = password;
    const mailer = new LinkMailer(config({ smtp: smtpConfig(smtp.port, { user: 'mailer', password_env: 'AIDA_TEST_MAILER_PASSWORD' }) }), log.logger);
    try {
      const token = 'token-that-must-not-leak';
      mailer.inBackground('sending a sign-in link', () => mailer.deliver('ada@example.test', buildLink('https://x.test', 'ada@example.test', token)));
      await mailer.idle();
      const error = log.lines.find((l) => l.level === 'error');
      expect(error?.msg).toMatch(/sending a sign-in link failed: SMTP delivery to 127.0.0.1 failed/);
      expect(error?.fields).toMatchObject({ failure: { code: 'EAUTH' } });
      expect(log.text()).not.toContain(password);
      expect(log.text()).not.toContain(token);
      expect(log.text()).not.toContain(Buffer.from(`\0mailer\0${password}`).toString('base64'));
      expect(mailer.health()).toMatchObject({ status: 'degraded' });
      expect(smtp.mails).toHaveLength(0);
    } finally {
      delete process.env.AIDA_TEST_MAILER_PASSWORD;
      await mailer.stop();
      await smtp.close();
    }
  });

  it('an unreachable server makes deliver() reject, which background work only logs', async () => {
    const log = recordingLogger();
    const mailer = new LinkMailer(config({ smtp: smtpConfig(await closedPort()) }), log.logger);
    await expect(mailer.deliver('ada@example.test', buildLink('https://x.test', 'ada@example.test', 't'))).rejects.toThrow(/SMTP delivery to 127.0.0.1 failed/);
    mailer.inBackground('sending a sign-in link', () => mailer.deliver('ada@example.test', buildLink('https://x.test', 'ada@example.test', 't')));
    await mailer.idle();
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    await mailer.stop();
  });

  it('stopping waits for deliveries under way', async () => {
    const smtp = await startCaptureServer();
    const mailer = new LinkMailer(config({ smtp: smtpConfig(smtp.port) }), recordingLogger().logger);
    mailer.inBackground('sending a sign-in link', () => mailer.deliver('late@example.test', buildLink('https://x.test', 'late@example.test', 't')));
    await mailer.stop();
    expect(smtp.mails.map((m) => m.to)).toEqual([['late@example.test']]);
    await smtp.close();
  });

  it('secrets are masked in error descriptions, and only the SMTP verb is kept', () => {
    const d = describeDeliveryError(
      Object.assign(new Error('535 bad auth for s3cret-value'), { code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN AGFkYQBzM2NyZXQ=' }),
      ['s3cret-value'],
    );
    expect(d).toEqual({ code: 'EAUTH', response_code: 535, command: 'AUTH', message: '535 bad auth for [redacted]' });
  });

  it('durations read naturally', () => {
    expect([3_600_000, 7_200_000, 900_000, 1000, 86_400_000, 1500].map(describeDuration)).toEqual([
      '1 hour',
      '2 hours',
      '15 minutes',
      '1 second',
      '1 day',
      '2 seconds',
    ]);
  });
});
