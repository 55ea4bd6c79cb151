import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as core from '@aida/core';
import * as host from '@aida/host';
import * as email from '@aida/plugin-auth-email';
import * as keboola from '@aida/plugin-keboola';
import * as jira from '@aida/plugin-jira';
import * as memory from '@aida/plugin-memory';
import * as bigquery from '@aida/plugin-bigquery';
import * as telegram from '@aida/plugin-telegram';

const root = fileURLToPath(new URL('..', import.meta.url));
const packages = join(root, 'packages');

/** Every error class the packages export from their catalogues. */
const classes = Object.entries({ core, host, email, keboola, jira, memory, bigquery, telegram }).flatMap(([pkg, mod]) =>
  Object.entries(mod)
    .filter((entry): entry is [string, core.ErrorClass<never>] => core.isErrorClass(entry[1]))
    .map(([name, kind]) => ({ pkg, name, kind })),
);
/** Each code with the class that defines it (not a subclass that only changes its status). */
const defined = new Map<string, (typeof classes)[number]>();
for (const c of classes) {
  const seen = defined.get(c.kind.code);
  if (!seen || seen.kind.prototype instanceof c.kind) defined.set(c.kind.code, c);
}

/** The rows of docs/errors.md: `| \`CODE\` | status | meaning | what to do |`. */
const documented = new Map(
  [...readFileSync(join(root, 'docs', 'errors.md'), 'utf8').matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|([^|]+)\|([^|]+)\|$/gm)].map((m) => [
    m[1],
    { status: m[2].trim(), meaning: m[3].trim(), todo: m[4].trim() },
  ]),
);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}
const sources = readdirSync(packages)
  .map((p) => join(packages, p, 'src'))
  .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory())
  .flatMap(sourceFiles)
  .map((path) => ({ path: relative(root, path), text: readFileSync(path, 'utf8') }));

// A catalogue is where codes are written (src/errors.ts, or a file of src/errors/); everywhere else throws its classes.
const isCatalogue = (path: string) => /\/src\/errors\.ts$|\/src\/errors\/[a-z-]+\.ts$/.test(path);
const prefixes = [...new Set([...defined.keys()].map((code) => code.split('_')[0]))];
const codeLike = new RegExp(`\\b(?:${prefixes.join('|')})_[A-Z0-9_]*[A-Z0-9]\\b`, 'g');
// Environment variables share the AIDA_ prefix: names the sources read from an environment, or name as one (`token_env: '…'`),
// and the variables docs/configuration.md documents (a config default such as `state.url_env`'s).
const documentedEnv = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8').split('## Environment')[1] ?? '';
const envVars = new Set([
  ...sources.flatMap(({ text }) => [...text.matchAll(/\benv(?:\.|\[')([A-Z][A-Z0-9_]+)|_env: '([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1] ?? m[2])),
  ...[...documentedEnv.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]),
]);
// Constants share prefixes too (`LLM_PROVIDERS`, `LLM_SCHEMA_NAME_PATTERN`): names the sources declare are not codes.
const constants = new Set(sources.flatMap(({ text }) => [...text.matchAll(/\b(?:const|let|var)\s+([A-Z][A-Z0-9_]+)\b/g)].map((m) => m[1])));

describe('the error catalogue and docs/errors.md', () => {
  it('the catalogues define codes, each once (a subclass may only change the status, as ValidationError does)', () => {
    expect(classes.length).toBeGreaterThan(50);
    const clashes = classes.filter((c) => {
      const first = defined.get(c.kind.code)!;
      return first.kind !== c.kind && !(c.kind.prototype instanceof first.kind || first.kind.prototype instanceof c.kind);
    });
    expect(clashes.map((c) => `${c.pkg}.${c.name}: ${c.kind.code}`)).toEqual([]);
  });

  it('lists every code of every catalogue, with its status, meaning and what to do', () => {
    const problems: string[] = [];
    for (const [code, { pkg, name, kind }] of defined) {
      const row = documented.get(code);
      if (!row) problems.push(`${code} (${pkg}.${name}) is not in docs/errors.md`);
      else if (!row.status.startsWith(String(kind.status))) problems.push(`${code}: docs/errors.md says ${row.status}, the catalogue ${kind.status}`);
      else if (!row.meaning || !row.todo) problems.push(`${code}: say what it means and what to do`);
    }
    expect(problems).toEqual([]);
  });

  it('lists no code that no catalogue defines any more', () => {
    expect([...documented.keys()].filter((code) => !defined.has(code))).toEqual([]);
  });

  it('every code the sources name is defined in a catalogue, and only catalogues spell codes out as strings', () => {
    const unknown: string[] = [];
    const adHoc: string[] = [];
    for (const { path, text } of sources) {
      for (const [code] of text.matchAll(codeLike)) {
        if (envVars.has(code) || constants.has(code)) continue;
        if (!defined.has(code)) unknown.push(`${path}: ${code}`);
        else if (!isCatalogue(path) && new RegExp(`['"]${code}['"]`).test(text)) adHoc.push(`${path}: '${code}'`);
      }
    }
    expect(unknown, 'codes thrown but not in any catalogue (define them with defineError and list them in docs/errors.md)').toEqual([]);
    expect([...new Set(adHoc)], 'code strings outside a catalogue (throw the catalogue class, or compare with Class.code)').toEqual([]);
  });
});
