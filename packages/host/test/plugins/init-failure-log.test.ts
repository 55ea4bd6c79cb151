import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, StartupError } from '@aida/core';
import { startTestHost } from '@aida/host/testing';
import { PluginInitFailedError } from '@aida/host';
import { createLogger, type LogFormat } from '../../src/logging/logger.js';

// A named function, so the original stack has a frame the log can be searched for.
function connectToWidgetFactory(): never {
  throw new Error('the widget factory refused the connection');
}

const explodingPlugin = definePlugin({
  id: 'exploding',
  kind: 'extension',
  config: z.object({}),
  init() {
    connectToWidgetFactory();
  },
});

/** Boots a real host with the exploding plugin, logging as the host does (its own logger), into a string. */
async function bootLog(format: LogFormat): Promise<{ error: unknown; log: string }> {
  let log = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log += chunk.toString();
      done();
    },
  });
  const error = await startTestHost({ plugins: [explodingPlugin], logger: createLogger({ level: 'info', format, stream }) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, log };
}

describe('a plugin whose init throws', () => {
  it('stops the boot with AIDA_PLUGIN_INIT_FAILED, naming the plugin and keeping its error as the cause', async () => {
    const { error } = await bootLog('json');
    expect(error).toBeInstanceOf(PluginInitFailedError);
    expect(error).toBeInstanceOf(StartupError);
    expect(error).toMatchObject({
      code: 'AIDA_PLUGIN_INIT_FAILED',
      message: expect.stringContaining("plugin 'exploding' ((inline)) failed to initialise: the widget factory refused the connection"),
    });
    expect((error as Error).cause).toMatchObject({ message: 'the widget factory refused the connection' });
  });

  it("leaves the original error's stack in the JSON boot log", async () => {
    const { log } = await bootLog('json');
    const failed = log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; err?: { code?: string; stack?: string } })
      .find((l) => l.msg === 'host failed to start');
    expect(failed?.err?.code).toBe('AIDA_PLUGIN_INIT_FAILED');
    expect(failed?.err?.stack).toMatch(/caused by: Error: the widget factory refused the connection\n\s+at connectToWidgetFactory /);
  });

  it("leaves the original error's stack in the readable boot log", async () => {
    const { log } = await bootLog('pretty');
    expect(log).toContain('host failed to start');
    expect(log).toMatch(/caused by: Error: the widget factory refused the connection/);
    expect(log).toMatch(/at connectToWidgetFactory /);
  });
});
