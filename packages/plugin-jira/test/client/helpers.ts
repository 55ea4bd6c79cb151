// What the client tests share: a client pointed at a fake Jira (short retry delays so failures
// are quick), and a pino logger whose lines the test can read.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { JiraClient, type JiraClientOptions } from '../../src/client/client.js';
import type { FakeJira } from '../../src/testing/index.js';

export function captureLogger(): { logger: Logger; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

export function clientFor(jira: FakeJira, logger: Logger, o: Partial<JiraClientOptions> = {}): JiraClient {
  return new JiraClient({
    siteUrl: jira.url,
    email: jira.email,
    apiToken: jira.apiToken,
    timeoutMs: 5000,
    retries: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 5000 },
    logger,
    ...o,
  });
}

export const signal = (): AbortSignal => new AbortController().signal;
