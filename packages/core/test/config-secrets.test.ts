import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REDACTED, SecretRedactor, validateConfig, zSecret, zSecretEnv } from '@aida/core';

const schema = z.strictObject({
  token_env: zSecretEnv({ example: 'KBC_TOKEN', holds: 'the API token' }),
  password: zSecret().optional(),
  retries: z.number().int().default(3),
});

describe('zSecretEnv', () => {
  it('resolves to the value of the variable it names and hands that value to the secret set', () => {
    const secrets = new SecretRedactor();
    const r = validateConfig(schema, { token_env: 'MY_TOKEN', password: 'inline-password' }, 'plugins[0] (x).config', {
      env: { MY_TOKEN: 'tok-1234567890' },
      secrets,
    });
    expect(r).toEqual({ ok: true, value: { token_env: 'tok-1234567890', password: 'inline-password', retries: 3 } });
    expect(secrets.redact('Bearer tok-1234567890 / inline-password')).toBe(`Bearer ${REDACTED} / ${REDACTED}`);
  });

  it('reports an unset or empty variable with the other problems, naming what it must hold', () => {
    const r = validateConfig(schema, { token_env: 'UNSET_TOKEN', retries: 1.5 }, 'cfg', { env: { UNSET_TOKEN: '' } });
    expect(r.ok ? [] : r.issues).toEqual([
      { path: 'cfg.token_env', message: 'environment variable UNSET_TOKEN is not set (it must hold the API token)' },
      { path: 'cfg.retries', message: 'Invalid input: expected int, received number' },
    ]);
  });

  it('refuses a name that is not an environment variable name, with an example of one', () => {
    const message = 'must be the name of an environment variable such as KBC_TOKEN (letters, digits and _, not starting with a digit)';
    for (const bad of ['1TOKEN', 'MY-TOKEN', '${TOKEN}', 'tok en', 42]) {
      const r = validateConfig(schema, { token_env: bad }, '', { env: {} });
      expect(r.ok ? [] : r.issues).toEqual([{ path: 'token_env', message }]);
    }
  });

  it('reads process.env when used outside validateConfig (a plugin unit test) and leaves no scope behind', () => {
    process.env.AIDA_TEST_SECRET_ENV_HELPER = 'from-process-env';
    expect(schema.parse({ token_env: 'AIDA_TEST_SECRET_ENV_HELPER' }).token_env).toBe('from-process-env');
    validateConfig(schema, { token_env: 'ONLY_IN_SCOPE' }, '', { env: { ONLY_IN_SCOPE: 'scoped' } });
    expect(schema.safeParse({ token_env: 'ONLY_IN_SCOPE' }).success).toBe(false);
  });
});

describe('SecretRedactor', () => {
  it('masks every known value in text, in JSON-escaped text, in JSON-like data and in errors', () => {
    const r = new SecretRedactor();
    r.add('pa"ss\\word');
    r.add('abc'); // too short to mask without garbling everything else
    r.add(undefined);
    expect(r.redact('login pa"ss\\word abc')).toBe(`login ${REDACTED} abc`);
    expect(r.redact(JSON.stringify({ msg: 'login pa"ss\\word' }))).toBe(`{"msg":"login ${REDACTED}"}`);
    expect(r.redactDeep({ code: 'X', detail: { list: ['pa"ss\\word', 3] } })).toEqual({ code: 'X', detail: { list: [REDACTED, 3] } });
    const e = r.redactError(new TypeError('bad pa"ss\\word'));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe(`bad ${REDACTED}`);
    expect(e.stack).not.toContain('pa"ss\\word');
  });

  it('masks a secret that contains another one whole', () => {
    const r = new SecretRedactor();
    r.add('secret');
    r.add('secret-and-more');
    expect(r.redact('x secret-and-more y secret')).toBe(`x ${REDACTED} y ${REDACTED}`);
  });
});
