import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatByteSize, formatDuration, parseByteSize, zByteSize, zDuration } from '@aida/core';

const messages = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues.map((i) => i.message) ?? [];

describe('zDuration', () => {
  it('turns every accepted form into milliseconds', () => {
    const d = zDuration();
    expect(['500ms', '30s', '5m', '1h', '1d', '1.5h', ' 2 m '].map((v) => d.parse(v))).toEqual([
      500, 30_000, 300_000, 3_600_000, 86_400_000, 5_400_000, 120_000,
    ]);
    expect(d.parse(250)).toBe(250); // a number is milliseconds
    expect(d.parse(0)).toBe(0);
  });

  it('names the accepted forms and echoes what it got', () => {
    const accepted = 'must be a duration such as 500ms, 30s, 5m, 1h or 1d (a plain number is milliseconds)';
    expect(messages(zDuration(), 'soon')).toEqual([`${accepted}; got "soon"`]);
    expect(messages(zDuration(), '30')).toEqual([`${accepted}; got "30"`]);
    expect(messages(zDuration(), '5w')).toEqual([`${accepted}; got "5w"`]);
    expect(messages(zDuration(), -5)).toEqual([`${accepted}; got -5`]);
    expect(messages(zDuration(), true)).toEqual([`${accepted}; got true`]);
    expect(messages(z.object({ d: zDuration() }), {})).toEqual([`${accepted}; got nothing`]);
  });

  it('checks inclusive bounds given as durations or milliseconds, and says them as durations', () => {
    const ttl = zDuration({ min: '1s', max: '1d' });
    expect(ttl.parse('1s')).toBe(1000);
    expect(ttl.parse('24h')).toBe(86_400_000);
    expect(messages(ttl, '500ms')).toEqual(['must be between 1s and 1d; got "500ms"']);
    expect(messages(ttl, '2d')).toEqual(['must be between 1s and 1d; got "2d"']);
    expect(messages(zDuration({ min: 1 }), '0s')).toEqual(['must be at least 1ms; got "0s"']);
    expect(messages(zDuration({ max: 300_000 }), 400_000)).toEqual(['must be at most 5m; got 400000']);
  });

  it('states a default the way an admin writes it, and refuses bounds that are a typo', () => {
    expect(z.object({ t: zDuration().prefault('15s') }).parse({})).toEqual({ t: 15_000 });
    expect(() => zDuration({ min: 'one second' })).toThrow(/invalid bound "one second"/);
    expect(() => zDuration({ min: '1h', max: '1m' })).toThrow(/bounds out of order/);
  });

  it('formats milliseconds as the shortest exact duration', () => {
    expect([0, 1, 1500, 60_000, 90_000, 3_600_000, 172_800_000].map(formatDuration)).toEqual(['0ms', '1ms', '1500ms', '1m', '90s', '1h', '2d']);
  });
});

describe('zByteSize', () => {
  it('reads decimal and binary units in any case, and plain numbers as bytes', () => {
    const s = zByteSize();
    expect(['512KB', '50MB', '5GiB', '1mb', '1MiB', '2 kib', '1.5KiB', '100B', '1024', '1TB'].map((v) => s.parse(v))).toEqual([
      512_000,
      50_000_000,
      5 * 2 ** 30,
      1_000_000,
      2 ** 20,
      2048,
      1536,
      100,
      1024,
      1e12,
    ]);
    expect(s.parse(4096)).toBe(4096);
  });

  it('names the accepted forms, refuses fractions of a byte and unknown units', () => {
    const accepted = 'must be a size such as 512KB, 50MB or 5GiB (KB, MB, GB are powers of 1000, KiB, MiB, GiB of 1024; a plain number is bytes)';
    expect(messages(zByteSize(), 'big')).toEqual([`${accepted}; got "big"`]);
    expect(messages(zByteSize(), '5XB')).toEqual([`${accepted}; got "5XB"`]);
    expect(messages(zByteSize(), 1.5)).toEqual([`${accepted}; got 1.5`]);
    expect(messages(zByteSize(), null)).toEqual([`${accepted}; got null`]);
  });

  it('checks bounds and says them in the units that fit', () => {
    const upload = zByteSize({ min: '1KiB', max: '5GiB' });
    expect(upload.parse('5GiB')).toBe(5 * 2 ** 30);
    expect(messages(upload, '6GB')).toEqual(['must be between 1KiB and 5GiB; got "6GB"']);
    expect(messages(zByteSize({ max: '10MB' }), '11MB')).toEqual(['must be at most 10MB; got "11MB"']);
  });

  it('formats and parses sizes outside a schema', () => {
    expect([0, 1500, 2048, 1_000_000, 2 ** 20, 3 * 2 ** 30].map(formatByteSize)).toEqual(['0B', '1500B', '2KiB', '1MB', '1MiB', '3GiB']);
    expect(parseByteSize('2MiB')).toBe(2 ** 20 * 2);
    expect(() => parseByteSize('lots')).toThrow(/Invalid size "lots": use e.g. 512KB, 50MB or 5GiB/);
  });
});
