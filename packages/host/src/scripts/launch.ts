// Where the sandbox child's files are and the Node flags it starts with. The child gets the
// permission model with read access to its own folder and to isolated-vm, nothing else: no
// writes, no child processes, no workers. Addons are allowed because isolated-vm is one;
// it is the only one the child loads, by absolute path.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptsSandboxUnavailableError } from '../errors.js';

export interface SandboxFiles {
  /** The compiled child entry (dist/scripts/child.js). */
  child: string;
  /** isolated-vm's main file, which the child requires by path. */
  ivm: string;
}

/**
 * Finds the child entry and isolated-vm. Throws ScriptsSandboxUnavailableError (a startup
 * error) when either is missing: scripts never run without the isolate.
 */
export function locateSandbox(): SandboxFiles {
  let ivm: string;
  try {
    ivm = createRequire(import.meta.url).resolve('isolated-vm');
  } catch (e) {
    throw new ScriptsSandboxUnavailableError(
      'scripts.enabled is true but isolated-vm is not installed (it is an optional dependency with a native build that failed or was skipped on this platform); ' +
        'install it (npm install isolated-vm@5 -w @aida/host) or set scripts.enabled: false. Scripts never run without the isolate.',
      { cause: e },
    );
  }
  const here = fileURLToPath(new URL('./child.js', import.meta.url));
  // Under vitest this module is the TypeScript source; the child must be the compiled file.
  const child = existsSync(here) ? here : here.replace(`${sep}src${sep}scripts${sep}`, `${sep}dist${sep}scripts${sep}`);
  if (!existsSync(child)) throw new ScriptsSandboxUnavailableError(`the script sandbox's child entry ${child} is missing; build the host (npx tsc -b)`);
  return { child, ivm };
}

function flag(name: string): boolean {
  return process.allowedNodeEnvironmentFlags.has(name);
}

/** Node's command line for one child: the permission model, the heap cap, then the entry. */
export function childArgs(files: SandboxFiles, memoryMb: number): string[] {
  const permission = flag('--permission') ? '--permission' : '--experimental-permission';
  return [
    permission,
    `--allow-fs-read=${dirname(files.child)}${sep}`,
    `--allow-fs-read=${packageDir(files.ivm)}${sep}`,
    ...(flag('--allow-addons') ? ['--allow-addons'] : []),
    // isolated-vm's requirement on Node 20+ (the startup snapshot breaks its isolates).
    '--no-node-snapshot',
    // The child's own heap only carries logs, answers and the result: twice the isolate's limit.
    `--max-old-space-size=${memoryMb * 2 + 64}`,
    '--no-warnings',
    files.child,
    files.ivm,
  ];
}

/** The folder of the package a file belongs to (the nearest one with a package.json). */
function packageDir(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
