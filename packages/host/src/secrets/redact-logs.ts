import { symbols, type Logger } from 'pino';
import type { SecretRedactor } from '@aida/core';

type Hooks = { streamWrite?: (line: string) => string };
type WithHooks = Record<symbol, Hooks | undefined>;

/**
 * A child of `logger` whose every line, and every line of its own children (plugins', requests'),
 * is passed through the host's redaction set after pino serialised it: a secret is masked
 * whether it came in the message, a bound field or an error's stack.
 *
 * pino offers `hooks.streamWrite` only when a root logger is created, and the host also runs on
 * loggers an embedder or a test passes in; so the hook is set on a child, which pino's children
 * (prototype-chained objects) then inherit. The parent's own hook, if any, still runs first.
 */
export function redactLogs(logger: Logger, secrets: SecretRedactor): Logger {
  const child = logger.child({});
  const own = child as unknown as WithHooks;
  const inherited = own[symbols.hooksSym] ?? {};
  const before = inherited.streamWrite;
  own[symbols.hooksSym] = { ...inherited, streamWrite: (line) => secrets.redact(before ? before(line) : line) };
  return child;
}
