import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pino } from 'pino';
import { definePlugin, InputError, SecretRedactor, tokens, zSecretEnv } from '@aida/core';
import { createHost, type Host } from '../../src/host.js';
import { createLogger } from '../../src/logging/logger.js';
import { redactLogs } from '../../src/secrets/redact-logs.js';
import { tempDir } from '../helpers.js';

// Declared secret by its field, not by a key name: nothing below logs it under `token` or `password`.
const SECRET = 'lk-7f3a9c1e5b2d8f4a6c0e';
const ENV = 'AIDA_TEST_LEAKY_SERVICE_KEY';
process.env[ENV] = SECRET;

/** A plugin that puts its secret everywhere a careless plugin might. */
function leakyPlugin(o: { failInit?: boolean } = {}) {
  return definePlugin({
    id: 'leaky',
    kind: 'connector',
    config: z.strictObject({ key_env: zSecretEnv({ holds: 'the service key' }) }),
    deps: { logger: tokens.logger, routes: tokens.routes, connectors: tokens.connectors },
    init({ logger, routes, connectors }, { config }) {
      const key = config.key_env;
      if (o.failInit) throw new Error(`the service refused key ${key}`);
      logger.info({ upstream: { auth: `Bearer ${key}` }, quoted: `"${key}"` }, `connected with ${key}`);
      logger.child({ session: key }).warn('child loggers too');
      routes.add({
        method: 'GET',
        path: '/api/leaky/refused',
        access: 'public',
        handler: () => {
          throw new InputError(`the service said: key ${key} is revoked`, { detail: { sent: key } });
        },
      });
      routes.add({
        method: 'GET',
        path: '/api/leaky/crash',
        access: 'public',
        handler: () => {
          throw new Error(`crashed holding ${key}`);
        },
      });
      routes.add({
        method: 'GET',
        path: '/api/leaky/fine',
        access: 'public',
        handler: (ctx) => {
          ctx.body = { ok: true };
        },
      });
      connectors.register({
        source: 'leaky',
        sourceType: 'test',
        discover: async () => [],
        extract: async () => {
          throw new Error(`extraction refused for ${key}`);
        },
      });
    },
  });
}

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { stream, lines, text: () => lines.join('') };
}

let host: Host | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await host?.stop();
  host = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function boot(o: { failInit?: boolean } = {}) {
  const { dir, cleanup } = await tempDir('aida-secrets-');
  cleanups.push(cleanup);
  const log = capture();
  host = await createHost({
    dataDir: dir,
    config: { analytics: { profile_after_rebuild: false } },
    plugins: [{ plugin: leakyPlugin(o), config: { key_env: ENV } }],
    logger: pino({ level: 'debug' }, log.stream),
  });
  return { host, log };
}

describe('a declared secret never leaves a real host', () => {
  it('is masked in log lines, error answers and recorded sync errors', async () => {
    const { host: h, log } = await boot();
    await h.start();
    const { url } = await h.listen(0);

    const refused = await fetch(`${url}/api/leaky/refused`);
    expect(refused.status).toBe(400);
    const body = await refused.text();
    expect(body).not.toContain(SECRET);
    expect(JSON.parse(body)).toMatchObject({ message: 'the service said: key [redacted] is revoked', detail: { sent: '[redacted]' } });

    const crash = await fetch(`${url}/api/leaky/crash`);
    expect(crash.status).toBe(500);
    expect(await crash.text()).not.toContain(SECRET);
    expect(await (await fetch(`${url}/api/leaky/fine`)).json()).toEqual({ ok: true });

    const sync = await h.syncSource('leaky');
    expect(sync.error).toBe('extraction refused for [redacted]');

    const text = log.text();
    expect(text).toContain('connected with [redacted]');
    expect(text).toContain('Bearer [redacted]');
    expect(text).toContain('child loggers too');
    expect(text).toContain('crashed holding [redacted]'); // the 500's stack, logged
    expect(text).toContain('extraction refused for [redacted]');
    expect(text).not.toContain(SECRET);
  });

  it('is masked in the start failure a plugin causes and in its log line', async () => {
    const { host: h, log } = await boot({ failInit: true });
    const e = await h.start().then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e?.message).toMatch(/plugin 'leaky' .* failed to initialise: the service refused key \[redacted\]/);
    expect(e?.stack).not.toContain(SECRET);
    expect(log.text()).toContain('host failed to start');
    expect(log.text()).not.toContain(SECRET);
  });

  it('is masked in the readable (pretty) log format too', () => {
    const secrets = new SecretRedactor();
    secrets.add(SECRET);
    const log = capture();
    const logger = redactLogs(createLogger({ level: 'info', format: 'pretty', stream: log.stream }), secrets);
    logger.child({ plugin: 'leaky' }).info({ key: SECRET }, `using ${SECRET}`);
    expect(log.text()).toContain('using [redacted]');
    expect(log.text()).not.toContain(SECRET);
  });
});
