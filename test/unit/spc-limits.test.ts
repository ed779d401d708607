/** XmR chart limits, and charts with too little data. */
import { describe, expect, it } from 'vitest';
import { xmrLimits } from '../../src/domain/spc.js';
import { chart, alternating, flaggedIndexes } from './spc-series.js';

describe('xmrChart limits', () => {
  it('computes mean, moving-range limits and near limits by hand for a small series', () => {
    // 10, 12, 11, 15, 12: mean = 60 / 5 = 12; MR = 2, 1, 4, 3; AMR = 10 / 4 = 2.5.
    // Process limits 12 +/- 2.66 x 2.5 = 12 +/- 6.65; near limits 12 +/- (2/3 x 2.66) x 2.5 = 12 +/- 4.4333.
    const result = chart([10, 12, 11, 15, 12]);
    expect(result.mean).toBe(12);
    expect(result.upperProcessLimit).toBeCloseTo(18.65, 12);
    expect(result.lowerProcessLimit).toBeCloseTo(5.35, 12);
    expect(result.upperNearLimit).toBeCloseTo(12 + 4.433333333333333, 12);
    expect(result.lowerNearLimit).toBeCloseTo(12 - 4.433333333333333, 12);
    expect(result.trial).toBe(true);
    expect(result.variation).toBe('common_cause');
    expect(flaggedIndexes(result)).toEqual([]);
  });

  it('computes limits for a stable alternating series (AMR exactly 1)', () => {
    const result = chart(alternating(12, 10, 11));
    expect(result.mean).toBe(10.5);
    expect(result.upperProcessLimit).toBeCloseTo(13.16, 12);
    expect(result.lowerProcessLimit).toBeCloseTo(7.84, 12);
    expect(result.upperNearLimit).toBeCloseTo(10.5 + 5.32 / 3, 12);
    expect(result.lowerNearLimit).toBeCloseTo(10.5 - 5.32 / 3, 12);
  });

  it('screens out moving ranges of at least 3.267 x their mean before taking AMR', () => {
    // MRs 1, 1, 1, 1, 9, 9, 1, 1, 1, 1: mean 2.6, screen at 8.49, so both 9s go and AMR = 8 / 8 = 1.
    const result = chart([10, 11, 10, 11, 10, 19, 10, 11, 10, 11, 10]);
    expect(xmrLimits([10, 11, 10, 11, 10, 19, 10, 11, 10, 11, 10]).averageMovingRange).toBe(1);
    expect(result.mean).toBeCloseTo(123 / 11, 12);
    expect(result.upperProcessLimit).toBeCloseTo(123 / 11 + 2.66, 12);
  });

  it('keeps a moving range just under the screening line', () => {
    // MRs 1, 1, 1, 1, 2.2: mean 1.24, screen at 4.05; nothing goes, AMR = 6.2 / 5.
    expect(xmrLimits([10, 11, 10, 11, 10, 12.2]).averageMovingRange).toBeCloseTo(1.24, 12);
  });

  it('marks limits as trial with 11 points and firm with 12', () => {
    expect(chart(alternating(11, 10, 11)).trial).toBe(true);
    expect(chart(alternating(12, 10, 11)).trial).toBe(false);
    expect(chart(alternating(30, 10, 11)).trial).toBe(false);
  });

  it('does not clamp the lower process limit at zero', () => {
    // 1, 3, 1, 3: mean 2, AMR 2, LPL = 2 - 5.32 = -3.32 (the report layer may clamp counts for display).
    expect(chart([1, 3, 1, 3]).lowerProcessLimit).toBeCloseTo(-3.32, 12);
  });

  it('collapses the limits onto the mean for a flat series and flags nothing', () => {
    const result = chart([5, 5, 5, 5, 5, 5, 5, 5]);
    expect(result.mean).toBe(5);
    expect(result.upperProcessLimit).toBe(5);
    expect(result.lowerProcessLimit).toBe(5);
    expect(flaggedIndexes(result)).toEqual([]);
    expect(result.variation).toBe('common_cause');
  });
});

describe('xmrChart with too little data', () => {
  it('returns insufficient_data and null limits for no points', () => {
    expect(chart([], { improvement: 'up', target: 5 })).toEqual({
      points: [],
      mean: null,
      upperProcessLimit: null,
      lowerProcessLimit: null,
      upperNearLimit: null,
      lowerNearLimit: null,
      trial: true,
      variation: 'insufficient_data',
    });
  });

  it('returns insufficient_data, null limits and no assurance for one point', () => {
    const result = chart([7], { improvement: 'up', target: 5 });
    expect(result).toEqual({
      points: [{ period: 'P01', value: 7 }],
      mean: 7,
      upperProcessLimit: null,
      lowerProcessLimit: null,
      upperNearLimit: null,
      lowerNearLimit: null,
      trial: true,
      variation: 'insufficient_data',
    });
    expect('assurance' in result).toBe(false);
  });

  it('computes limits from two points', () => {
    const result = chart([4, 6]);
    expect(result.variation).toBe('common_cause');
    expect(result.mean).toBe(5);
    expect(result.upperProcessLimit).toBeCloseTo(5 + 2.66 * 2, 12);
  });

  it('rejects non-finite values', () => {
    expect(() => chart([1, Number.NaN, 3])).toThrow(RangeError);
  });
});
