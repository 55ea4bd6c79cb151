import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Identity } from '../../src/identity/identity.js';
import { migrate, migrations } from '../../src/state/migrations/index.js';
import { DuckDbSystemDb, type SystemDb } from '../../src/state/system-db.js';
import { tempRoot } from './helpers.js';

let root: { dir: string; cleanup: () => Promise<void> };
let db: SystemDb;
let id: Identity;
let lines: { level: number; msg: string }[];
beforeEach(async () => {
  root = await tempRoot('aida-env-admin-');
  db = await DuckDbSystemDb.open(join(root.dir, 'state', 'system.duckdb'));
  await migrate(db, migrations);
  lines = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as { level: number; msg: string });
      done();
    },
  });
  id = await Identity.open(db, root.dir, pino({ level: 'info' }, sink), { sessionLifetimeSeconds: 3600 });
});
afterEach(async () => {
  await id.close();
  await db.close();
  await root.cleanup();
});

const said = () => lines.map((l) => l.msg);

describe('AIDA_ADMIN_EMAIL / AIDA_ADMIN_PASSWORD at start', () => {
  it('say what they did on a fresh data dir, on an existing one, and when nothing was needed', async () => {
    await id.ensureEnvAdmin({ AIDA_ADMIN_EMAIL: 'ops@example.com', AIDA_ADMIN_PASSWORD: 'correct-horse-1' });
    expect(said()).toEqual(['created the admin ops@example.com from AIDA_ADMIN_EMAIL/AIDA_ADMIN_PASSWORD']);
    await id.ensureEnvAdmin({ AIDA_ADMIN_EMAIL: 'ops@example.com', AIDA_ADMIN_PASSWORD: 'correct-horse-1' });
    expect(said()[1]).toBe('AIDA_ADMIN_EMAIL names the admin ops@example.com, whose password is AIDA_ADMIN_PASSWORD already: nothing to do');
    await id.ensureEnvAdmin({ AIDA_ADMIN_EMAIL: 'ops@example.com', AIDA_ADMIN_PASSWORD: 'another-password-2' });
    expect(said()[2]).toBe(
      'AIDA_ADMIN_EMAIL names an existing account (admin); AIDA_ADMIN_PASSWORD only creates a missing admin and changed nothing. To set its password: aida admin reset-password ops@example.com',
    );
    await id.ensureEnvAdmin({ AIDA_ADMIN_EMAIL: 'second@example.com', AIDA_ADMIN_PASSWORD: 'second-password-1' });
    expect(said()[3]).toBe('created the admin second@example.com from AIDA_ADMIN_EMAIL/AIDA_ADMIN_PASSWORD beside the 1 existing user, who are unchanged');
    expect((await id.passwordSignIn('ops@example.com', 'correct-horse-1')).email).toBe('ops@example.com');
  });

  it('warn when only one of the two is set, creating nobody', async () => {
    await id.ensureEnvAdmin({ AIDA_ADMIN_EMAIL: 'ops@example.com' });
    await id.ensureEnvAdmin({ AIDA_ADMIN_PASSWORD: 'correct-horse-1' });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'AIDA_ADMIN_EMAIL is set without AIDA_ADMIN_PASSWORD: no admin is created from the environment; set both (they only create a missing admin)'],
      [40, 'AIDA_ADMIN_PASSWORD is set without AIDA_ADMIN_EMAIL: no admin is created from the environment; set both (they only create a missing admin)'],
    ]);
    expect(id.users.list()).toEqual([]);
  });
});
