import { validateConfig } from '@aida/core';
import { describe, expect, it } from 'vitest';
import { emailConfigSchema } from '../src/config.js';

const check = (value: unknown) => validateConfig(emailConfigSchema, value, 'plugins[0] (@aida/plugin-auth-email).config');
const messages = (value: unknown) => {
  const r = check(value);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
};

describe('email plugin config', () => {
  it('an empty config is the demo: no SMTP, links valid one hour', () => {
    const r = check(undefined);
    expect(r.ok && r.value).toEqual({ subject: 'Your AIDA sign-in link', link_ttl: 3_600_000 });
  });

  it('SMTP settings get safe defaults: STARTTLS required, certificates verified, 15 s timeout', () => {
    const r = check({ smtp: { host: 'smtp.example.com', from: 'AIDA <aida@example.com>' }, base_url: 'https://aida.example.com/' });
    expect(r.ok && r.value).toMatchObject({
      smtp: { host: 'smtp.example.com', starttls: 'required', reject_unauthorized: true, timeout: 15_000 },
      base_url: 'https://aida.example.com',
    });
  });

  it('unknown keys are refused, so typos do not pass silently', () => {
    expect(messages({ smtp: { host: 'h', from: 'a@b.c', pasword_env: 'X' } }).join('\n')).toMatch(/pasword_env/);
    expect(messages({ baseurl: 'https://x' }).join('\n')).toMatch(/baseurl/);
  });

  it('the password comes from a named environment variable that must be set', () => {
    delete process.env.AIDA_TEST_UNSET_SMTP_PASSWORD;
    expect(messages({ smtp: { host: 'h', from: 'a@b.c', user: 'u', password_env: 'AIDA_TEST_UNSET_SMTP_PASSWORD' } })).toEqual([
      'plugins[0] (@aida/plugin-auth-email).config.smtp.password_env: environment variable AIDA_TEST_UNSET_SMTP_PASSWORD is not set (it must hold the SMTP password)',
    ]);
    expect(messages({ smtp: { host: 'h', from: 'a@b.c', user: 'u' } }).join('\n')).toMatch(/smtp\.password_env: user is set but password_env is not/);
    expect(messages({ smtp: { host: 'h', from: 'a@b.c', password_env: 'not a name' } }).join('\n')).toMatch(/name of an environment variable/);
  });

  it('durations are checked and bounded', () => {
    expect(check({ link_ttl: '15m' }).ok && (check({ link_ttl: '15m' }) as { value: { link_ttl: number } }).value.link_ttl).toBe(900_000);
    expect(messages({ link_ttl: 'soon' }).join('\n')).toMatch(/link_ttl: must be a duration/);
    expect(messages({ link_ttl: '2d' }).join('\n')).toMatch(/link_ttl: must be between 1s and 1d; got "2d"/);
    expect(messages({ smtp: { host: 'h', from: 'a@b.c', timeout: '10m' } }).join('\n')).toMatch(/smtp\.timeout: must be between 1s and 5m; got "10m"/);
    expect(messages({ base_url: 'ftp://x' }).join('\n')).toMatch(/base_url: must be an http\(s\) URL/);
  });
});
