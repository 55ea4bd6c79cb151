import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';

/** A fresh temp folder per test, removed by the returned cleanup. */
export async function tempDir(prefix = 'aida-host-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const silentLogger = () => pino({ level: process.env.AIDA_TEST_LOG_LEVEL ?? 'silent' });
