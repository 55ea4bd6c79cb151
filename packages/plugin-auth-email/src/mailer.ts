import { redactText, type Mailer, type MailMessage, type Service, type ServiceHealth, type tokens, type TokenType } from '@aida/core';
import nodemailer from 'nodemailer';
import type { EmailConfig, SmtpConfig } from './config.js';

type Logger = TokenType<typeof tokens.logger>;

/** Waits this long for deliveries still under way when the host stops. */
const STOP_GRACE_MS = 10_000;

/** "1 hour", "15 minutes", "90 seconds": how long a link stays valid, for people. */
export function describeDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  const seconds = Math.max(1, Math.round(ms / 1000));
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The sign-in mail: plain text and HTML with the same link. */
export function composeSignInMail(link: string, ttlMs: number): { text: string; html: string } {
  const validity = describeDuration(ttlMs);
  const text = [
    'Hello,',
    '',
    'use this link to sign in to AIDA:',
    '',
    link,
    '',
    `It is valid for ${validity} and works once.`,
    'If you did not ask to sign in, ignore this mail: nobody can sign in without the link.',
    '',
  ].join('\n');
  const href = escapeHtml(link);
  const html = `<!doctype html>
<html lang="en"><body style="font-family: sans-serif; line-height: 1.5">
<p>Hello,</p>
<p>use this link to sign in to AIDA:</p>
<p><a href="${href}">Sign in to AIDA</a></p>
<p style="word-break: break-all; color: #555">${href}</p>
<p>It is valid for ${escapeHtml(validity)} and works once.<br>
If you did not ask to sign in, ignore this mail: nobody can sign in without the link.</p>
</body></html>
`;
  return { text, html };
}

/** Fields of a failed delivery that are safe to log: no credentials, no link. */
export function describeDeliveryError(
  e: unknown,
  secrets: readonly (string | undefined)[],
): { code?: string; response_code?: number; command?: string; message: string } {
  const err = e as { code?: unknown; responseCode?: unknown; command?: unknown; message?: unknown };
  const message = redactText(typeof err?.message === 'string' ? err.message : String(e), secrets);
  return {
    ...(typeof err?.code === 'string' ? { code: err.code } : {}),
    ...(typeof err?.responseCode === 'number' ? { response_code: err.responseCode } : {}),
    // Only the verb: an AUTH command line would carry the encoded credentials.
    ...(typeof err?.command === 'string' ? { command: err.command.split(' ')[0] } : {}),
    message,
  };
}

function transportOptions(smtp: SmtpConfig, password: string | undefined) {
  const secure = smtp.secure ?? smtp.port === 465;
  return {
    host: smtp.host,
    port: smtp.port ?? (secure ? 465 : 587),
    secure,
    requireTLS: !secure && smtp.starttls === 'required',
    ignoreTLS: !secure && smtp.starttls === 'off',
    tls: { rejectUnauthorized: smtp.reject_unauthorized },
    auth: smtp.user ? { user: smtp.user, pass: password ?? '' } : undefined,
    connectionTimeout: smtp.timeout,
    greetingTimeout: smtp.timeout,
    socketTimeout: smtp.timeout,
  };
}

/**
 * Delivers sign-in links: over SMTP when configured, otherwise into the log (the demo).
 * Deliveries run in the background so that the answer to `send-link` neither waits for the
 * mail server nor reveals, by its timing, whether a mail was sent. As a host service it
 * reports the last delivery outcome in health and lets running deliveries finish on stop.
 *
 * The same SMTP transport sends other mail for the host and plugins (`send`, the core
 * `Mailer`), so there is one connection pool, one health and one shutdown for both.
 */
export class LinkMailer implements Service {
  readonly id = 'mailer';
  private readonly pending = new Set<Promise<void>>();
  private readonly transport: ReturnType<typeof nodemailer.createTransport> | null;
  private readonly secrets: (string | undefined)[];
  private stopped = false;
  private lastSuccess = 0;
  private lastFailure: { at: number; code?: string } | null = null;

  constructor(
    private readonly config: EmailConfig,
    private readonly logger: Logger,
  ) {
    const smtp = config.smtp;
    // The schema resolved `password_env` to the password itself.
    const password = smtp?.password_env;
    this.secrets = [password];
    this.transport = smtp ? nodemailer.createTransport(transportOptions(smtp, password)) : null;
  }

  /** Whether links go out by mail (`smtp`) or into the log (`log`). */
  get mode(): 'smtp' | 'log' {
    return this.transport ? 'smtp' : 'log';
  }

  /** Sends one sign-in link to `to`; rejects when the SMTP server refuses it or cannot be reached. */
  async deliver(to: string, link: string): Promise<void> {
    if (!this.transport) {
      this.logger.warn(
        { email: to },
        `No SMTP server configured for the email sign-in plugin: sign-in link for ${to}, written here instead of mailed: ${link}`,
      );
      return;
    }
    const { text, html } = composeSignInMail(link, this.config.link_ttl);
    await this.sendMail({ to, subject: this.config.subject, text, html }, [link, new URL(link).searchParams.get('token') ?? undefined]);
    this.logger.info({ email: to }, 'sign-in link mailed');
  }

  /**
   * Sends any mail (an invitation, a notification) from the configured sender: the core
   * `Mailer`. Resolves once the SMTP server took it; rejects with a readable reason (no
   * credentials in it) otherwise. Only offered to others when SMTP is configured.
   */
  async send(message: MailMessage): Promise<void> {
    if (!this.transport) throw new Error('No SMTP server is configured for the email plugin (config smtp): mail cannot be sent');
    await this.sendMail(message, []);
    this.logger.info({ email: message.to, subject: message.subject }, 'mail sent');
  }

  /** The core `Mailer` over this transport, without the sign-in specifics (`deliver`, `inBackground`). */
  asMailer(): Mailer {
    return { send: (message) => this.send(message) };
  }

  /** One delivery over the transport; records the outcome for health. `hide` are values masked in the error, beside the SMTP password. */
  private async sendMail(message: MailMessage, hide: readonly (string | undefined)[]): Promise<void> {
    try {
      // Only these fields: whatever else a caller's object carries (a `from`, attachments) is not sent.
      const { to, subject, text, html } = message;
      await this.transport!.sendMail({ from: this.config.smtp!.from, to, subject, text, ...(html === undefined ? {} : { html }) });
      this.lastSuccess = Date.now();
    } catch (e) {
      const detail = describeDeliveryError(e, [...this.secrets, ...hide]);
      this.lastFailure = { at: Date.now(), code: detail.code };
      throw Object.assign(new Error(`SMTP delivery to ${this.config.smtp!.host} failed: ${detail.message}`), { detail });
    }
  }

  /**
   * Runs `work` after the caller has answered. Failures are logged (without secrets), never
   * thrown: the person asking for a link always gets the same answer.
   */
  inBackground(what: string, work: () => Promise<void>): void {
    if (this.stopped) {
      this.logger.warn(`${what}: skipped, the host is stopping`);
      return;
    }
    const run: Promise<void> = (async () => {
      try {
        await work();
      } catch (e) {
        const detail = (e as { detail?: unknown }).detail ?? describeDeliveryError(e, this.secrets);
        this.logger.error(
          { failure: detail, smtp_host: this.config.smtp?.host },
          `${what} failed: ${redactText((e as Error).message ?? String(e), this.secrets)}`,
        );
      }
    })().finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  /** Resolves once every background delivery started so far has finished (tests, stop). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  async start(): Promise<void> {
    if (!this.transport) {
      this.logger.warn('No SMTP server configured (config smtp): sign-in links are written to this log instead of being mailed');
    } else if (!this.config.base_url) {
      this.logger.warn('base_url is not set: sign-in links are built from the Host header of each request; set base_url to the public URL of the instance');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_GRACE_MS);
      timer.unref();
    });
    await Promise.race([this.idle(), grace]);
    clearTimeout(timer);
    if (this.pending.size) this.logger.warn({ pending: this.pending.size }, 'stopping with sign-in link deliveries still running');
    this.transport?.close();
  }

  health(): ServiceHealth {
    if (!this.transport) return { status: 'healthy', detail: 'no SMTP configured: sign-in links are written to the log' };
    if (this.lastFailure && this.lastFailure.at >= this.lastSuccess) {
      return {
        status: 'degraded',
        detail: `the last mail could not be delivered (${new Date(this.lastFailure.at).toISOString()}${this.lastFailure.code ? `, ${this.lastFailure.code}` : ''})`,
      };
    }
    return { status: 'healthy', detail: this.lastSuccess ? 'the last mail was delivered' : 'no mail sent yet' };
  }
}
