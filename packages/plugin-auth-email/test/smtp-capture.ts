import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  from: string;
  to: string[];
  /** The SMTP user the client authenticated as, if it did. */
  user?: string;
  raw: string;
}

export interface CaptureOptions {
  /** Require these credentials when the client authenticates (authentication itself stays optional). */
  credentials?: { user: string; pass: string };
  /** Refuse every recipient with 550, as a server that will not take the mail does. */
  rejectRecipients?: boolean;
}

export interface CaptureServer {
  port: number;
  mails: CapturedMail[];
  /** Waits for a mail to `to` arriving after the first `since` captured mails; throws after `timeoutMs`. */
  waitForMail(to: string, opts?: { since?: number; timeoutMs?: number }): Promise<CapturedMail>;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 (random port, no TLS) that keeps every message it accepts. */
export async function startCaptureServer(options: CaptureOptions = {}): Promise<CaptureServer> {
  const mails: CapturedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      const c = options.credentials;
      if (c && (auth.username !== c.user || auth.password !== c.pass)) return callback(new Error('Invalid username or password'));
      callback(null, { user: auth.username });
    },
    onRcptTo(_address, _session, callback) {
      if (options.rejectRecipients) return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          user: session.user,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    async waitForMail(to, { since = 0, timeoutMs = 4000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mails.slice(since).find((m) => m.to.includes(to.toLowerCase()));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms (captured ${mails.length} in all)`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port nobody listens on: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Undoes quoted-printable soft breaks and escapes, enough to read a link out of a mail body. */
function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The sign-in link in a captured mail (from its plain-text part). */
export function linkIn(mail: CapturedMail): URL {
  const body = decodeQuotedPrintable(mail.raw);
  const m = /https?:\/\/[^\s"'<>]+\/auth\/email\/verify\?[^\s"'<>]+/.exec(body);
  if (!m) throw new Error(`no sign-in link in the mail:\n${mail.raw.slice(0, 2000)}`);
  return new URL(m[0]);
}
