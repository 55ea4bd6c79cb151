import { z } from 'zod';
import { InputError } from '../errors.js';

/** How a quantity written with a unit (a duration, a size) is read from config and shown in messages. */
export interface Measure {
  /** `duration`, `size`: names the kind in parse errors. */
  readonly kind: string;
  /** Typical values, for parse errors: `500ms, 30s, 5m, 1h or 1d`. */
  readonly examples: string;
  /** What is accepted, completing "must be …": `a duration such as 30s …`. */
  readonly accepted: string;
  /** The value in the base unit, or undefined when the text is not this kind of quantity. */
  read(text: string): number | undefined;
  /** Whether a bare number is a valid value in the base unit (it is taken as is). */
  validNumber(value: number): boolean;
  /** The base-unit value as an admin would write it (`300000` → `5m`), for bounds in messages. */
  format(value: number): string;
}

/** Inclusive bounds, in the base unit or as text in the measure's own notation (`'1s'`, `'1GiB'`). */
export interface MeasureBounds {
  min?: number | string;
  max?: number | string;
}

/**
 * A config field holding a quantity: a non-negative number in the base unit or a string with a
 * unit, parsed to the base unit. Bad and out-of-range values get one message that says what is
 * accepted and echoes what was given, so the admin sees both in the boot report.
 */
export function zMeasure(measure: Measure, bounds: MeasureBounds = {}): z.ZodType<number, string | number> {
  const min = bound(measure, bounds.min);
  const max = bound(measure, bounds.max);
  if (min !== undefined && max !== undefined && min > max) throw new Error(`bounds out of order: min ${measure.format(min)} > max ${measure.format(max)}`);
  const notThis = (input: unknown) => `must be ${measure.accepted}; got ${shown(input)}`;
  return z.union([z.string(), z.number()], { error: (issue) => notThis(issue.input) }).transform((input, ctx) => {
    const value = typeof input === 'number' ? (measure.validNumber(input) ? input : undefined) : measure.read(input);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: notThis(input), input });
      return z.NEVER;
    }
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      ctx.addIssue({ code: 'custom', message: `${range(measure, min, max)}; got ${shown(input)}`, input });
      return z.NEVER;
    }
    return value;
  });
}

/** Parses text in the measure's notation (a number is taken as already in the base unit), or throws an InputError. */
export function parseMeasure(measure: Measure, value: string | number): number {
  if (typeof value === 'number') return value;
  const parsed = measure.read(value);
  if (parsed === undefined) throw new InputError(`Invalid ${measure.kind} ${JSON.stringify(value)}: use e.g. ${measure.examples}`);
  return parsed;
}

function bound(measure: Measure, b: number | string | undefined): number | undefined {
  if (b === undefined || typeof b === 'number') return b;
  const value = measure.read(b);
  // A bound is written by the plugin author, not the admin: a typo is a bug to fail on at import.
  if (value === undefined) throw new Error(`invalid bound ${JSON.stringify(b)}: must be ${measure.accepted}`);
  return value;
}

function range(measure: Measure, min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `must be between ${measure.format(min)} and ${measure.format(max)}`;
  return min !== undefined ? `must be at least ${measure.format(min)}` : `must be at most ${measure.format(max!)}`;
}

function shown(input: unknown): string {
  return input === undefined ? 'nothing' : JSON.stringify(input);
}
