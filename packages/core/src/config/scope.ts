/** Where an env var lookup goes while a config is validated. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Receives the value of every field declared secret (`zSecretEnv`, `zSecret`) as it is parsed. */
export interface SecretSink {
  add(value: string): void;
}

/** What the secret fields of a config being validated read from and report to. */
export interface ConfigScope {
  readonly env: EnvSource;
  readonly secrets?: SecretSink;
}

/*
 * zod 4 has no parse context, and a plugin's schema is built once, at import, with no host in
 * sight; so the host says for the length of one (synchronous) parse which environment the
 * secret fields read and which host's redaction set they feed. Kept on globalThis under a
 * registered symbol so that two copies of @aida/core (a plugin's and the host's) agree, as
 * tokens do.
 */
const SCOPE = Symbol.for('aida:config-scope');
type ScopeHolder = { [SCOPE]?: ConfigScope };

/** Runs a synchronous parse with `scope` in effect, restoring the previous one afterwards. */
export function withConfigScope<T>(scope: ConfigScope, parse: () => T): T {
  const holder = globalThis as ScopeHolder;
  const previous = holder[SCOPE];
  holder[SCOPE] = scope;
  try {
    return parse();
  } finally {
    holder[SCOPE] = previous;
  }
}

/** The scope of the parse in progress; none when a schema is used outside validateConfig (a unit test). */
export function configScope(): ConfigScope | undefined {
  return (globalThis as ScopeHolder)[SCOPE];
}
