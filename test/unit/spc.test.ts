import { describe, expect, it } from 'vitest';
import { xmrChart, xmrLimits, type XmrChart, type XmrOptions } from '../../src/domain/spc.js';

function chart(values: number[], options: XmrOptions = { improvement: 'up' }): XmrChart {
  return xmrChart(
    values.map((value, i) => ({ period: `P${String(i + 1).padStart(2, '0')}`, value })),
    options,
  );
}

/** Alternating a, b, a, b, ... of the given length: stable common-cause noise. */
function alternating(length: number, a: number, b: number): number[] {
  return Array.from({ length }, (_, i) => (i % 2 === 0 ? a : b));
}

/** Indexes of flagged points. */
function flaggedIndexes(result: XmrChart): number[] {
  return result.points.flatMap((p, i) => (p.special ? [i] : []));
}

/** Distinct rules reported anywhere on the chart. */
function rulesReported(result: XmrChart): string[] {
  return [...new Set(result.points.flatMap((p) => (p.special ? [p.special.rule] : [])))];
}

// Series that each trigger exactly one rule (verified in the tests below).
// Single high point: mean 219 / 20 = 10.95; MRs are seventeen 1s plus 10 and 9. Their mean is
// 36 / 19, so 10 and 9 (>= 3.267 x 36 / 19 = 6.19) are screened out: AMR = 1 and
// UPL = 10.95 + 2.66 = 13.61; 20 is outside.
const OUTSIDE_HIGH = [...alternating(9, 10, 11), 20, ...alternating(10, 11, 10)];
// Mirror image (21 - x) of OUTSIDE_HIGH: a single low point.
const OUTSIDE_LOW = OUTSIDE_HIGH.map((v) => 21 - v);
// Seven points (11/12) above a mean of 10.21, within the near limits.
const SHIFT_HIGH = [7, 13, 7, 13, 7, 13, 7, 11, 12, 11, 12, 11, 12, 11, 7, 13, 7, 13, 7];
const SHIFT_LOW = SHIFT_HIGH.map((v) => 20 - v);
// 9, 10, ..., 15: six consecutive increases that cross the mean (11.73), so no shift.
const TREND_UP = [10, 14, 10, 14, 10, 9, 10, 11, 12, 13, 14, 15, 10, 14, 10];
const TREND_DOWN = [10, 14, 10, 14, 10, 15, 14, 13, 12, 11, 10, 9, 14, 10, 14];
// Two 14s in three points, above the upper near limit (13.46) but inside the UPL (14.77).
const TWO_OF_THREE_HIGH = [...alternating(10, 10, 11), 14, 11, 14, ...alternating(7, 10, 11)];
const TWO_OF_THREE_LOW = [...alternating(10, 10, 11), 7, 10, 7, ...alternating(7, 11, 10)];

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

describe('xmrChart rule 1: outside_limits', () => {
  it('flags a single point above the upper process limit, and nothing else', () => {
    const result = chart(OUTSIDE_HIGH);
    expect(result.upperProcessLimit).toBeCloseTo(13.61, 10);
    expect(flaggedIndexes(result)).toEqual([9]);
    expect(result.points[9]?.special).toEqual({ rule: 'outside_limits', kind: 'improvement' });
    expect(rulesReported(result)).toEqual(['outside_limits']);
  });

  it('flags a single point below the lower process limit, and nothing else', () => {
    const result = chart(OUTSIDE_LOW);
    expect(flaggedIndexes(result)).toEqual([9]);
    expect(result.points[9]?.special).toEqual({ rule: 'outside_limits', kind: 'concern' });
  });

  it('outputs unflagged points without a special property, preserving order and periods', () => {
    const result = chart(OUTSIDE_HIGH);
    expect(result.points[0]).toEqual({ period: 'P01', value: 10 });
    expect(result.points.map((p) => p.period)).toEqual(OUTSIDE_HIGH.map((_, i) => `P${String(i + 1).padStart(2, '0')}`));
  });
});

describe('xmrChart rule 2: shift', () => {
  it('flags all seven points of a run above the mean, and nothing else', () => {
    const result = chart(SHIFT_HIGH);
    expect(flaggedIndexes(result)).toEqual([7, 8, 9, 10, 11, 12, 13]);
    expect(rulesReported(result)).toEqual(['shift']);
    expect(result.points[7]?.special).toEqual({ rule: 'shift', kind: 'improvement' });
  });

  it('flags a run below the mean as low-side', () => {
    const result = chart(SHIFT_LOW);
    expect(flaggedIndexes(result)).toEqual([7, 8, 9, 10, 11, 12, 13]);
    expect(result.points[10]?.special).toEqual({ rule: 'shift', kind: 'concern' });
  });

  it('flags every point of a run longer than seven', () => {
    // Mean 11.41: the 12s either side of the 13/14 block are above it too, giving a run of nine.
    const result = chart([8, 12, 8, 12, 8, 12, 13, 14, 13, 14, 13, 14, 13, 12, 8, 12, 8]);
    expect(result.mean).toBeCloseTo(194 / 17, 12);
    expect(flaggedIndexes(result)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(rulesReported(result)).toEqual(['shift']);
  });

  it('does not flag a run of six', () => {
    const result = chart([7, 13, 7, 13, 7, 13, 7, 11, 12, 11, 12, 11, 12, 7, 13, 7, 13, 7]);
    expect(flaggedIndexes(result)).toEqual([]);
  });

  it('treats a point exactly on the mean as breaking the run', () => {
    // Symmetric series, mean exactly 0: six points above, one on the mean, six below.
    const result = chart([1, 3, 1, 3, 1, 3, 0, -1, -3, -1, -3, -1, -3]);
    expect(result.mean).toBe(0);
    expect(flaggedIndexes(result)).toEqual([]);
    // Control: nudge that point to 0.5 (mean becomes 0.038) and the first seven form a shift.
    const nudged = chart([1, 3, 1, 3, 1, 3, 0.5, -1, -3, -1, -3, -1, -3]);
    expect(flaggedIndexes(nudged)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(rulesReported(nudged)).toEqual(['shift']);
  });
});

describe('xmrChart rule 3: trend', () => {
  it('flags all seven points of six consecutive increases, and nothing else', () => {
    const result = chart(TREND_UP);
    expect(flaggedIndexes(result)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(rulesReported(result)).toEqual(['trend']);
    expect(result.points[5]?.special).toEqual({ rule: 'trend', kind: 'improvement' });
  });

  it('flags six consecutive decreases as a falling trend', () => {
    const result = chart(TREND_DOWN);
    expect(flaggedIndexes(result)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(result.points[11]?.special).toEqual({ rule: 'trend', kind: 'concern' });
  });

  it('treats equal consecutive values as breaking the trend', () => {
    // 9, 10, 11, 11, 12, 13, 14: seven points but the repeated 11 is not an increase.
    const withTie = chart([14, 10, 14, 9, 10, 11, 11, 12, 13, 14, 10, 14, 10]);
    expect(flaggedIndexes(withTie)).toEqual([]);
    // Control: the same shape without the tie is a trend.
    const withoutTie = chart([14, 10, 14, 9, 10, 11, 12, 13, 14, 15, 10, 14, 10]);
    expect(flaggedIndexes(withoutTie)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(rulesReported(withoutTie)).toEqual(['trend']);
  });
});

describe('xmrChart rule 4: two_of_three', () => {
  it('flags both points beyond the upper near limit, and nothing else', () => {
    const result = chart(TWO_OF_THREE_HIGH);
    expect(result.upperNearLimit as number).toBeLessThan(14);
    expect(result.upperProcessLimit as number).toBeGreaterThan(14);
    expect(flaggedIndexes(result)).toEqual([10, 12]);
    expect(rulesReported(result)).toEqual(['two_of_three']);
    expect(result.points[10]?.special).toEqual({ rule: 'two_of_three', kind: 'improvement' });
    // The middle point of the three is not beyond the line, so it is not flagged.
    expect(result.points[11]?.special).toBeUndefined();
  });

  it('flags both points beyond the lower near limit', () => {
    const result = chart(TWO_OF_THREE_LOW);
    expect(result.lowerNearLimit as number).toBeGreaterThan(7);
    expect(result.lowerProcessLimit as number).toBeLessThan(7);
    expect(flaggedIndexes(result)).toEqual([10, 12]);
    expect(result.points[12]?.special).toEqual({ rule: 'two_of_three', kind: 'concern' });
  });

  it('needs all three points of the window on the same side of the mean', () => {
    // The middle 9 is below the mean, so 14, 9, 14 is not a two-of-three window (and no other
    // window holds both 14s). Control: with the middle point at 11, above the mean, it is.
    const split = chart([...alternating(10, 10, 11), 14, 9, 14, ...alternating(7, 10, 11)]);
    expect(split.mean as number).toBeGreaterThan(9);
    expect(split.upperNearLimit as number).toBeLessThan(14);
    expect(split.upperProcessLimit as number).toBeGreaterThan(14);
    expect(flaggedIndexes(split)).toEqual([]);
    expect(flaggedIndexes(chart(TWO_OF_THREE_HIGH))).toEqual([10, 12]);
  });

  it('does not flag two near-limit points that are not within three consecutive points', () => {
    const result = chart([...alternating(10, 10, 11), 14, 10, 10, 14, ...alternating(6, 11, 10)]);
    expect(result.upperNearLimit as number).toBeLessThan(14);
    expect(flaggedIndexes(result)).toEqual([]);
  });
});

describe('xmrChart rule priority', () => {
  it('does not count a point outside the process limits towards two of three', () => {
    // 21 is beyond the UPL (18.72); 17 is beyond the upper near limit (16.38) but alone there,
    // so only the outside point is special.
    const result = chart([...alternating(16, 10, 12), 21, 11, 17, ...alternating(5, 12, 10)]);
    expect(result.points[16]?.special).toEqual({ rule: 'outside_limits', kind: 'improvement' });
    expect(result.points[18]?.special).toBeUndefined();
    expect(flaggedIndexes(result)).toEqual([16]);
  });

  it('reports outside_limits over trend for the last point of a rising run', () => {
    // 9.2 ... 10.2, 14 rises for six steps; 14 is beyond the UPL (12.98).
    const result = chart([...alternating(12, 10, 11), 9.2, 9.4, 9.6, 9.8, 10, 10.2, 14, ...alternating(8, 11, 10)]);
    expect(result.points[18]?.special).toEqual({ rule: 'outside_limits', kind: 'improvement' });
    expect(result.points[17]?.special).toEqual({ rule: 'trend', kind: 'improvement' });
    expect(flaggedIndexes(result)).toEqual([12, 13, 14, 15, 16, 17, 18]);
    // Control: ending on 13, inside the UPL (13.03), the last point is part of the trend.
    const inside = chart([...alternating(12, 10, 11), 9.2, 9.4, 9.6, 9.8, 10, 10.2, 13, ...alternating(8, 11, 10)]);
    expect(inside.points[18]?.special).toEqual({ rule: 'trend', kind: 'improvement' });
  });

  it('reports trend over shift where a rising run is also above the mean', () => {
    // 10 -> 12 -> 12.1 ... 12.7 rises for 8 steps; all but the first 10 sit above the mean (11.49),
    // so 7..14 are also a shift, but every point of the trend reads as trend.
    const result = chart([10, 12, 10, 12, 10, 12, 10, 12, 12.1, 12.2, 12.3, 12.4, 12.5, 12.6, 12.7, 10, 12, 10]);
    for (let i = 6; i <= 14; i++) {
      expect(result.points[i]?.special).toEqual({ rule: 'trend', kind: 'improvement' });
    }
    expect(flaggedIndexes(result)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it('reports two_of_three over shift for the points beyond the near limit', () => {
    // Points 11..18 sit above the mean (11.52); the two 15.5s are beyond the upper near limit (15.07).
    const result = chart([...alternating(12, 10, 12), 12, 15.5, 12, 15.5, 12, 12, 12, ...alternating(8, 10, 12)]);
    expect(result.points[13]?.special).toEqual({ rule: 'two_of_three', kind: 'improvement' });
    expect(result.points[15]?.special).toEqual({ rule: 'two_of_three', kind: 'improvement' });
    for (const i of [11, 12, 14, 16, 17, 18]) {
      expect(result.points[i]?.special).toEqual({ rule: 'shift', kind: 'improvement' });
    }
  });
});

describe('xmrChart improvement direction', () => {
  it.each([
    { improvement: 'up', series: OUTSIDE_HIGH, kind: 'improvement' },
    { improvement: 'down', series: OUTSIDE_HIGH, kind: 'concern' },
    { improvement: 'neutral', series: OUTSIDE_HIGH, kind: 'neutral' },
    { improvement: 'up', series: OUTSIDE_LOW, kind: 'concern' },
    { improvement: 'down', series: OUTSIDE_LOW, kind: 'improvement' },
    { improvement: 'neutral', series: OUTSIDE_LOW, kind: 'neutral' },
  ] as const)('outside limits: $improvement metric -> $kind', ({ improvement, series, kind }) => {
    expect(chart(series, { improvement }).points[9]?.special).toEqual({ rule: 'outside_limits', kind });
  });

  it.each([
    { improvement: 'up', series: SHIFT_HIGH, kind: 'improvement' },
    { improvement: 'down', series: SHIFT_HIGH, kind: 'concern' },
    { improvement: 'up', series: SHIFT_LOW, kind: 'concern' },
    { improvement: 'down', series: SHIFT_LOW, kind: 'improvement' },
    { improvement: 'neutral', series: SHIFT_LOW, kind: 'neutral' },
  ] as const)('shift: $improvement metric -> $kind', ({ improvement, series, kind }) => {
    expect(chart(series, { improvement }).points[9]?.special).toEqual({ rule: 'shift', kind });
  });

  it.each([
    { improvement: 'up', series: TREND_UP, kind: 'improvement' },
    { improvement: 'down', series: TREND_UP, kind: 'concern' },
    { improvement: 'up', series: TREND_DOWN, kind: 'concern' },
    { improvement: 'down', series: TREND_DOWN, kind: 'improvement' },
  ] as const)('trend: $improvement metric -> $kind', ({ improvement, series, kind }) => {
    expect(chart(series, { improvement }).points[8]?.special).toEqual({ rule: 'trend', kind });
  });

  it.each([
    { improvement: 'up', series: TWO_OF_THREE_HIGH, kind: 'improvement' },
    { improvement: 'down', series: TWO_OF_THREE_HIGH, kind: 'concern' },
    { improvement: 'up', series: TWO_OF_THREE_LOW, kind: 'concern' },
    { improvement: 'down', series: TWO_OF_THREE_LOW, kind: 'improvement' },
  ] as const)('two of three: $improvement metric -> $kind', ({ improvement, series, kind }) => {
    expect(chart(series, { improvement }).points[10]?.special).toEqual({ rule: 'two_of_three', kind });
  });
});

describe('xmrChart variation (most recent point)', () => {
  const LATEST_HIGH = [...alternating(19, 10, 11), 20];

  it('is common_cause when only earlier points are special', () => {
    expect(chart(OUTSIDE_HIGH).variation).toBe('common_cause');
  });

  it.each([
    { improvement: 'up', variation: 'special_cause_improvement' },
    { improvement: 'down', variation: 'special_cause_concern' },
    { improvement: 'neutral', variation: 'special_cause_neutral' },
  ] as const)('reflects a special latest point: $improvement -> $variation', ({ improvement, variation }) => {
    const result = chart(LATEST_HIGH, { improvement });
    expect(result.points.at(-1)?.special?.rule).toBe('outside_limits');
    expect(result.variation).toBe(variation);
  });

  it('reflects a shift that is still running at the latest point', () => {
    // Mean 10.5; the final seven points (11/12) are above it.
    const result = chart([7, 13, 7, 13, 7, 13, 7, 11, 12, 11, 12, 11, 12, 11]);
    expect(result.mean).toBe(10.5);
    expect(result.points.at(-1)?.special).toEqual({ rule: 'shift', kind: 'improvement' });
    expect(result.variation).toBe('special_cause_improvement');
  });
});

describe('xmrChart assurance', () => {
  // Mean 10.5, AMR 1: process limits 7.84 to 13.16.
  const STABLE = alternating(12, 10, 11);

  it.each([
    { improvement: 'up', target: 5, assurance: 'consistently_pass' },
    { improvement: 'up', target: 15, assurance: 'consistently_fail' },
    { improvement: 'up', target: 10, assurance: 'hit_and_miss' },
    { improvement: 'down', target: 15, assurance: 'consistently_pass' },
    { improvement: 'down', target: 5, assurance: 'consistently_fail' },
    { improvement: 'down', target: 10, assurance: 'hit_and_miss' },
  ] as const)('$improvement metric, target $target -> $assurance', ({ improvement, target, assurance }) => {
    expect(chart(STABLE, { improvement, target }).assurance).toBe(assurance);
  });

  it('treats a target exactly on a process limit as hit_and_miss', () => {
    const limits = chart(STABLE);
    const upper = limits.upperProcessLimit as number;
    const lower = limits.lowerProcessLimit as number;
    expect(chart(STABLE, { improvement: 'up', target: upper }).assurance).toBe('hit_and_miss');
    expect(chart(STABLE, { improvement: 'down', target: lower }).assurance).toBe('hit_and_miss');
  });

  it.each([10, 20])('omits assurance for a neutral metric, target %d inside or outside the limits', (target) => {
    // With no better direction there is no pass or fail to assure (NHSRplotthedots gives none).
    const result = chart(STABLE, { improvement: 'neutral', target });
    expect('assurance' in result).toBe(false);
  });

  it('omits assurance when no target is given', () => {
    expect('assurance' in chart(STABLE, { improvement: 'up' })).toBe(false);
  });

  it('assesses assurance even when the latest point is special cause', () => {
    const result = chart([...alternating(19, 10, 11), 20], { improvement: 'up', target: 5 });
    expect(result.variation).toBe('special_cause_improvement');
    expect(result.assurance).toBe('consistently_pass');
  });
});
