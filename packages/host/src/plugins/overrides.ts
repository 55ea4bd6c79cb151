import { type Token } from '@aida/core';
import { OverrideDuplicateError } from '../errors.js';

/**
 * Replacements for DI tokens, `[token, value]` each: tuple `K` pairs `Token<T[K]>` with a
 * value of type `T[K]`, so a stub that does not fit its token fails to compile. `NoInfer`
 * makes the token, not the stub, decide the type.
 */
export type TokenOverrides<T extends readonly unknown[]> = { readonly [K in keyof T]: readonly [token: Token<T[K]>, value: NoInfer<T[K]>] };

/** One `[token, value]` replacement, as `createHost({ overrides })` takes it. */
export type TokenOverride = TokenOverrides<readonly unknown[]>[number];

/** The overrides by token symbol; a token listed twice is a mistake in the test, not a choice. */
export function overrideMap(overrides: readonly TokenOverride[]): ReadonlyMap<symbol, unknown> {
  const map = new Map<symbol, unknown>();
  for (const [token, value] of overrides) {
    if (map.has(token.symbol)) throw new OverrideDuplicateError(`token '${token.id}' is overridden twice`);
    map.set(token.symbol, value);
  }
  return map;
}
