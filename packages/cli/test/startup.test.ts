// The binary loads only the command it runs, and takes core's helpers from @aida/core/light,
// which loads no DuckDB (the barrel's native module was most of `da`'s start).
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, commandName, programFor } from '../src/lazy-program.js';
import { buildProgram } from '../src/program.js';

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

describe('@aida/core/light, what the commands import from core at start', () => {
  it('loads no DuckDB: importing it maps no native module into the process', () => {
    const probe = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "await import('@aida/core/light'); const libs = process.report.getReport().sharedObjects; console.log(JSON.stringify(libs.filter((l) => /duckdb/i.test(l))));",
      ],
      { cwd: dirname(fileURLToPath(import.meta.url)), encoding: 'utf8' },
    );
    expect(probe.status, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout)).toEqual([]);
    // The control: the barrel does load it, so the probe would see it.
    const barrel = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "await import('@aida/core'); console.log(process.report.getReport().sharedObjects.some((l) => /duckdb/i.test(l)))"],
      { cwd: dirname(fileURLToPath(import.meta.url)), encoding: 'utf8' },
    );
    expect(barrel.stdout.trim()).toBe('true');
  });
});
