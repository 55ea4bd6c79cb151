import type { SourceType } from './types.js';

/** What an item's confidence is computed from. The model that extracted it has no say. */
export interface ConfidenceInput {
  sourceType: SourceType;
  /** Mandated by an admin (`required`). */
  required: boolean;
  /** Distinct people whose notes or proposals carry the item. */
  sourceUsers: number;
  upvotes: number;
  downvotes: number;
  /** When the item last changed: age decays confidence, a fresh edit or extraction resets it. */
  updatedAt: Date;
  now: Date;
  /** Half-life of the decay, in milliseconds (`confidence.half_life`, default 365 days). */
  halfLifeMs: number;
}

/** Extra people agreeing raise confidence a little each, up to a cap, so a popular note cannot outweigh review. */
export const PER_EXTRA_SOURCE = 0.05;
export const MAX_SOURCE_BONUS = 0.2;
/** Each net vote moves confidence by this much, within ±MAX_VOTE_SHIFT. */
export const PER_NET_VOTE = 0.05;
export const MAX_VOTE_SHIFT = 0.3;
/** A mandate stands until revoked: decay never takes it below this. */
export const MANDATE_FLOOR = 0.5;

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * confidence = clamp01( max(floor, clamp01(base + sources + votes) × 0.5^(age / half_life)) ), where
 * - base    = 1.0 for an admin mandate (required, or source type admin_mandate), else 0.5;
 * - sources = 0.05 × (distinct source users − 1), at most 0.2;
 * - votes   = 0.05 × (upvotes − downvotes), within ±0.3;
 * - age     = now − updated_at (never negative);
 * - floor   = 0.5 for a mandate, else 0.
 * Rounded to 4 decimals so equal inputs compare equal after a round trip through the database.
 */
export function computeConfidence(i: ConfidenceInput): number {
  const mandated = i.required || i.sourceType === 'admin_mandate';
  const base = mandated ? 1 : 0.5;
  const sources = Math.min(MAX_SOURCE_BONUS, PER_EXTRA_SOURCE * Math.max(0, i.sourceUsers - 1));
  const votes = clamp(PER_NET_VOTE * (i.upvotes - i.downvotes), -MAX_VOTE_SHIFT, MAX_VOTE_SHIFT);
  const ageMs = Math.max(0, i.now.getTime() - i.updatedAt.getTime());
  const decayed = clamp(base + sources + votes, 0, 1) * Math.pow(0.5, ageMs / i.halfLifeMs);
  const floored = mandated ? Math.max(MANDATE_FLOOR, decayed) : decayed;
  return Math.round(clamp(floored, 0, 1) * 10_000) / 10_000;
}

/** SQL expressions of the columns `confidenceSql` reads. */
export interface ConfidenceColumns {
  required: string;
  sourceType: string;
  sourceUsers: string;
  upvotes: string;
  downvotes: string;
  /** A TIMESTAMP column. */
  updatedAt: string;
}

/** A number as a DOUBLE literal: a bare `0.05` would be DECIMAL (NUMERIC) and round differently from JS. */
export const dbl = (x: number) => `${x}::DOUBLE PRECISION`;

/** A TIMESTAMP's milliseconds since the epoch, as SQL both DuckDB and PostgreSQL read. */
export const epochMs = (x: string) => `(extract(epoch FROM ${x}) * 1000)`;

/**
 * The same formula as `computeConfidence`, as one SQL expression, for ranking thousands of
 * items in the database instead of in JS (the bundle). `nowMs` is the SQL of the current time in
 * ms since the epoch (a column of a one-row subquery holding the parameter: it appears twice). Built from the same constants; a test checks the two agree.
 */
export function confidenceSql(c: ConfidenceColumns, nowMs: string, halfLifeMs: number): string {
  const mandated = `(${c.required} OR ${c.sourceType} = 'admin_mandate')`;
  const base = `CASE WHEN ${mandated} THEN ${dbl(1)} ELSE ${dbl(0.5)} END`;
  const sources = `least(${dbl(MAX_SOURCE_BONUS)}, ${dbl(PER_EXTRA_SOURCE)} * greatest(0, ${c.sourceUsers} - 1))`;
  const votes = `least(${dbl(MAX_VOTE_SHIFT)}, greatest(${dbl(-MAX_VOTE_SHIFT)}, ${dbl(PER_NET_VOTE)} * (${c.upvotes} - ${c.downvotes})))`;
  const age = `greatest(${dbl(0)}, ${nowMs} - ${epochMs(c.updatedAt)})`;
  const decayed = `least(${dbl(1)}, greatest(${dbl(0)}, ${base} + ${sources} + ${votes})) * pow(${dbl(0.5)}, ${age} / ${dbl(halfLifeMs)})`;
  const floored = `CASE WHEN ${mandated} THEN greatest(${dbl(MANDATE_FLOOR)}, ${decayed}) ELSE ${decayed} END`;
  return `(round(least(${dbl(1)}, greatest(${dbl(0)}, ${floored})) * 10000) / 10000)`;
}
