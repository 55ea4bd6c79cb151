// The glue between commander and a command's code: global flags become a Context, and the
// command's options arrive typed.
import type { Command } from 'commander';
import { Context, type GlobalFlags } from './context.js';

/** Wraps `fn(ctx, options, ...positional)` as a commander action. */
export function action<O, A extends unknown[] = []>(fn: (ctx: Context, opts: O, ...args: A) => Promise<void>) {
  return async (...received: unknown[]): Promise<void> => {
    const cmd = received[received.length - 1] as Command;
    const opts = cmd.optsWithGlobals<O & GlobalFlags>();
    const positional = received.slice(0, -2) as A;
    const ctx = await Context.create(opts);
    await fn(ctx, opts, ...positional);
  };
}
