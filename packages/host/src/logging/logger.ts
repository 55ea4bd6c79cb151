import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { ConfigInvalidError } from '../errors.js';

export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * The host's root logger: readable lines on a terminal, one JSON object per line otherwise
 * (what log shippers parse). `auto` decides by whether stdout is a TTY. Pretty printing runs
 * in this thread (pino-pretty as a stream, synchronous), so nothing is lost on process.exit.
 */
export function createLogger(opts: { level: string; format: LogFormat; stream?: NodeJS.WritableStream & { isTTY?: boolean } }): Logger {
  const out = opts.stream ?? process.stdout;
  const base = { level: opts.level, base: { service: 'aida' } };
  const usePretty = opts.format === 'pretty' || (opts.format === 'auto' && Boolean(out.isTTY));
  if (!usePretty) return pino(base, out === process.stdout ? undefined : out);
  return pino(
    base,
    pretty({ destination: out, sync: true, colorize: Boolean(out.isTTY), translateTime: 'SYS:HH:MM:ss', singleLine: true, ignore: 'pid,hostname,service' }),
  );
}

/** `AIDA_LOG_FORMAT` when set; a value that is not a format stops the start with a clear message. */
export function logFormat(value: string | undefined): LogFormat | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'auto' || value === 'json' || value === 'pretty') return value;
  throw new ConfigInvalidError(`AIDA_LOG_FORMAT must be auto, json or pretty, got ${JSON.stringify(value)}`);
}
