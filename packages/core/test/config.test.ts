import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { interpolateEnv, parseDuration, redactText, validateConfig, definePlugin, createToken, PLUGIN_MARKER } from '@aida/core';

describe('config helpers', () => {
  it('replaces ${ENV} references, applies defaults and collects every unset variable with its path', () => {
    const { value, missing } = interpolateEnv(
      { url: 'https://${HOST}/v2', token: '${TOKEN}', list: ['${A:-fallback}', '${B}'], n: 3 },
      { HOST: 'example.com' },
    );
    expect(value).toEqual({ url: 'https://example.com/v2', token: '', list: ['fallback', ''], n: 3 });
    expect(missing).toEqual([
      { path: 'token', variable: 'TOKEN' },
      { path: 'list[1]', variable: 'B' },
    ]);
  });

  it('masks known secret values inside free text', () => {
    expect(redactText('failed with token abcd1234 at host', ['abcd1234'])).toBe('failed with token [redacted] at host');
  });

  it('reports config problems with the full path to the field', () => {
    const schema = z.object({ url: z.string().url(), retries: z.number().int() });
    const r = validateConfig(schema, { url: 'nope', retries: 1.5 }, 'plugins[0] (@aida/x).config');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(['plugins[0] (@aida/x).config.url', 'plugins[0] (@aida/x).config.retries']);
  });

  it('parses durations and rejects nonsense', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(() => parseDuration('soon')).toThrow(/Invalid duration/);
  });
});

describe('plugin definitions and tokens', () => {
  it('marks plugins with the API version and validates ids', () => {
    const p = definePlugin({ id: 'demo-x', kind: 'service', config: z.object({}), init() {} });
    expect(p[PLUGIN_MARKER].apiVersion).toBe(1);
    expect(() => definePlugin({ id: 'Bad Id', kind: 'service', config: z.object({}), init() {} })).toThrow(/Invalid plugin id/);
  });

  it('tokens with the same id are the same symbol, so two copies of core agree', () => {
    expect(createToken<number>('x.thing').symbol).toBe(createToken<number>('x.thing').symbol);
    expect(() => createToken('nodot')).toThrow(/Invalid token id/);
  });
});
