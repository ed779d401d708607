/** The four special-cause rules of an XmR chart, and which one wins. */
import { describe, expect, it } from 'vitest';
import {
  chart,
  alternating,
  flaggedIndexes,
  rulesReported,
  OUTSIDE_HIGH,
  OUTSIDE_LOW,
  SHIFT_HIGH,
  SHIFT_LOW,
  TREND_UP,
  TREND_DOWN,
  TWO_OF_THREE_HIGH,
  TWO_OF_THREE_LOW,
} from './spc-series.js';

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
    expect(result.points.map((p) => p.period)).toEqual(
      OUTSIDE_HIGH.map((_, i) => `P${String(i + 1).padStart(2, '0')}`),
    );
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
