// The binary loads only the command it runs; the small helpers it uses instead of @aida/core's
// (which would load DuckDB at start) answer exactly as core's do.
import { formatBytes as coreFormatBytes, mapLimit as coreMapLimit } from '@aida/core';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, commandName, programFor } from '../src/lazy-program.js';
import { buildProgram } from '../src/program.js';
import { formatBytes, mapLimit } from '../src/small-helpers.js';

describe('the command tree the binary builds', () => {
  it('finds the command after global options', () => {
    expect(commandName(['sync', '--table', 'x'])).toBe('sync');
    expect(commandName(['--server', 'http://h', '--json', 'status', '--local'])).toBe('status');
    expect(commandName(['--server=http://h', 'query', 'SELECT 1'])).toBe('query');
    expect(commandName(['--help'])).toBeUndefined();
    expect(commandName([])).toBeUndefined();
  });

  it('lists every command the full tree has, and builds just the one asked for', async () => {
    const all = buildProgram().commands.map((c) => c.name());
    expect(COMMAND_MODULES.flatMap((m) => [...m.names]).sort()).toEqual([...all].sort());
    const sync = await programFor(['node', 'da', '--json', 'sync', '--dry-run'], { json: true });
    expect(sync.commands.map((c) => c.name())).toEqual(['sync']);
    expect(sync.commands[0].options.map((o) => o.long)).toEqual(
      buildProgram()
        .commands.find((c) => c.name() === 'sync')!
        .options.map((o) => o.long),
    );
    const auth = await programFor(['node', 'da', 'whoami']);
    expect(auth.commands.map((c) => c.name()).sort()).toEqual(['login', 'logout', 'whoami']);
  });

  it('builds the whole tree for help, no command or a misspelt one (so commander can suggest)', async () => {
    for (const argv of [
      ['node', 'da', '--help'],
      ['node', 'da'],
      ['node', 'da', 'snyc'],
    ]) {
      expect((await programFor(argv)).commands.map((c) => c.name()).sort()).toEqual(
        buildProgram()
          .commands.map((c) => c.name())
          .sort(),
      );
    }
  });
});

describe('small helpers', () => {
  it('formatBytes answers as @aida/core does', () => {
    for (const n of [0, 1, 1023, 1024, 1536, 10 * 1024 * 1024 + 5, 3.2e9, 7e12, 9e15, -2048]) expect(formatBytes(n)).toBe(coreFormatBytes(n));
  });

  it('mapLimit keeps the order, bounds concurrency and throws the first failure after the work in flight, as core does', async () => {
    for (const impl of [mapLimit, coreMapLimit]) {
      let running = 0;
      let peak = 0;
      const out = await impl([5, 1, 4, 2, 3], 2, async (n, i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, n * 3));
        running--;
        return `${i}:${n}`;
      });
      expect(out).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3']);
      expect(peak).toBe(2);
      const started: number[] = [];
      await expect(
        impl([1, 2, 3, 4], 2, async (n) => {
          started.push(n);
          await new Promise((r) => setTimeout(r, 5));
          if (n === 1) throw new Error('first');
          if (n === 2) throw new Error('second');
        }),
      ).rejects.toThrow('first');
      expect(started).toEqual([1, 2]);
    }
  });
});
