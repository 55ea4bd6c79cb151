// Time and number text in BigQuery's forms: parsing a timestamp literal or ISO string to
// microseconds, and the three ways the REST API writes a TIMESTAMP cell (DataFormatOptions):
// int64 microseconds (`useInt64Timestamp` / `timestampOutputFormat: INT64`), ISO 8601
// (`ISO8601_STRING`), or the classic float seconds, which BigQuery prints like Java's
// Double.toString (`1.6725744001234E9`), as it prints FLOAT64 cells.

export type TimestampFormat = 'INT64' | 'FLOAT64' | 'ISO8601_STRING';

/**
 * `YYYY-MM-DD`, or that with `[T ]HH:MM[:SS[.fraction]]` and an optional zone (`Z`, `UTC`,
 * `+HH`, `+HH:MM`); no zone means UTC, as in GoogleSQL. Digits past microseconds are dropped.
 */
export function parseTimestampMicros(text: string): bigint | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(ms);
  if (check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  let offsetMin = 0;
  if (!/^(Z|UTC)$/i.test(zone)) {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? '0'));
  }
  const micros = BigInt(frac.padEnd(6, '0').slice(0, 6));
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1000n + micros;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function isoFromMicros(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const sub = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const base = new Date(Number(ms)).toISOString().slice(0, 19);
  return `${base}.${String(sub).padStart(6, '0')}Z`;
}

export function formatTimestamp(micros: bigint, format: TimestampFormat): string {
  if (format === 'INT64') return micros.toString();
  if (format === 'ISO8601_STRING') return isoFromMicros(micros);
  return javaDouble(Number(micros) / 1e6);
}

/**
 * The cell format a request asks for: `timestampOutputFormat` wins, then `useInt64Timestamp`;
 * neither means the classic float seconds.
 */
export function timestampFormat(useInt64Timestamp: unknown, timestampOutputFormat: unknown): TimestampFormat {
  if (timestampOutputFormat === 'INT64' || timestampOutputFormat === 'ISO8601_STRING' || timestampOutputFormat === 'FLOAT64') return timestampOutputFormat;
  return useInt64Timestamp === true || useInt64Timestamp === 'true' ? 'INT64' : 'FLOAT64';
}

/** A double as Java's Double.toString writes it: plain between 10^-3 and 10^7, else `d.dddE±n`. */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const abs = Math.abs(x);
  // In this range JavaScript's shortest text is Java's, less the `.0` Java keeps on whole numbers.
  if (abs >= 1e-3 && abs < 1e7) {
    const text = String(x);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa, expText] = abs.toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${exp}`;
}
