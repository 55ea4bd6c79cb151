import { describe, expect, it } from 'vitest';
import { computeConfidence, type ConfidenceInput } from '../../src/store/confidence.js';

const DAY = 86_400_000;
const now = new Date('2025-06-01T00:00:00Z');
const base: ConfidenceInput = {
  sourceType: 'claude_local_md',
  required: false,
  sourceUsers: 1,
  upvotes: 0,
  downvotes: 0,
  updatedAt: now,
  now,
  halfLifeMs: 365 * DAY,
};
const c = (o: Partial<ConfidenceInput>) => computeConfidence({ ...base, ...o });
const ago = (days: number) => new Date(now.getTime() - days * DAY);

describe('confidence, computed from votes, sources and age', () => {
  it('starts at 0.5 for a note or a proposal and at 1.0 for a mandate', () => {
    expect(c({})).toBe(0.5);
    expect(c({ sourceType: 'user_proposal' })).toBe(0.5);
    expect(c({ required: true })).toBe(1);
    expect(c({ sourceType: 'admin_mandate' })).toBe(1);
  });

  it('gains 0.05 for each extra source user, at most 0.2', () => {
    expect(c({ sourceUsers: 0 })).toBe(0.5);
    expect(c({ sourceUsers: 2 })).toBe(0.55);
    expect(c({ sourceUsers: 5 })).toBe(0.7);
    expect(c({ sourceUsers: 50 })).toBe(0.7);
  });

  it('moves 0.05 per net vote, within ±0.3', () => {
    expect(c({ upvotes: 3, downvotes: 1 })).toBe(0.6);
    expect(c({ downvotes: 2 })).toBe(0.4);
    expect(c({ upvotes: 100 })).toBe(0.8);
    expect(c({ downvotes: 100 })).toBe(0.2);
  });

  it('halves over each half-life since the last change, and a future date does not raise it', () => {
    expect(c({ updatedAt: ago(365) })).toBe(0.25);
    expect(c({ updatedAt: ago(730) })).toBe(0.125);
    expect(c({ updatedAt: ago(30), halfLifeMs: 30 * DAY })).toBe(0.25);
    expect(c({ updatedAt: new Date(now.getTime() + 10 * DAY) })).toBe(0.5);
  });

  it('keeps a mandate at 0.5 or more however old, and stays within 0..1', () => {
    expect(c({ required: true, updatedAt: ago(365 * 5) })).toBe(0.5);
    expect(c({ required: true, upvotes: 10, sourceUsers: 10 })).toBe(1);
    expect(c({ required: true, downvotes: 100, updatedAt: ago(365) })).toBe(0.5);
    expect(c({ sourceUsers: 10, upvotes: 100 })).toBe(1);
    expect(c({ downvotes: 100, updatedAt: ago(365 * 10) })).toBeGreaterThanOrEqual(0);
  });
});
