import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const vitestBin = join(createRequire(import.meta.url).resolve('vitest/package.json'), '..', 'vitest.mjs');

it('a host a test file leaves running is stopped after that file', async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'aida-kit-'));
  const report = join(scratch, 'report.json');
  try {
    // The file runs in a vitest of its own, so that its end can be observed from here.
    await promisify(execFile)(process.execPath, [vitestBin, 'run', '--config', join(fixtures, 'vitest.config.ts'), '--root', fixtures], {
      env: { ...process.env, AIDA_KIT_REPORT: report },
    });
    const { dataDir } = JSON.parse(await readFile(report, 'utf8')) as { dataDir: string; url: string };
    // Only stop() removes the temp data dir: a process that merely exited would leave it behind.
    expect(existsSync(dataDir)).toBe(false);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
