/**
 * Helpers and series for the SPC tests (spc-limits, spc-rules, spc-reading; not a test file
 * itself): a chart from plain values, and series that each trigger exactly one rule.
 */
import { xmrChart, type XmrChart, type XmrOptions } from '../../src/domain/spc.js';

export function chart(values: number[], options: XmrOptions = { improvement: 'up' }): XmrChart {
  return xmrChart(
    values.map((value, i) => ({ period: `P${String(i + 1).padStart(2, '0')}`, value })),
    options,
  );
}

/** Alternating a, b, a, b, ... of the given length: stable common-cause noise. */
export function alternating(length: number, a: number, b: number): number[] {
  return Array.from({ length }, (_, i) => (i % 2 === 0 ? a : b));
}

/** Indexes of flagged points. */
export function flaggedIndexes(result: XmrChart): number[] {
  return result.points.flatMap((p, i) => (p.special ? [i] : []));
}

/** Distinct rules reported anywhere on the chart. */
export function rulesReported(result: XmrChart): string[] {
  return [...new Set(result.points.flatMap((p) => (p.special ? [p.special.rule] : [])))];
}

// Series that each trigger exactly one rule (verified in the tests below).
// Single high point: mean 219 / 20 = 10.95; MRs are seventeen 1s plus 10 and 9. Their mean is
// 36 / 19, so 10 and 9 (>= 3.267 x 36 / 19 = 6.19) are screened out: AMR = 1 and
// UPL = 10.95 + 2.66 = 13.61; 20 is outside.
export const OUTSIDE_HIGH = [...alternating(9, 10, 11), 20, ...alternating(10, 11, 10)];
// Mirror image (21 - x) of OUTSIDE_HIGH: a single low point.
export const OUTSIDE_LOW = OUTSIDE_HIGH.map((v) => 21 - v);
// Seven points (11/12) above a mean of 10.21, within the near limits.
export const SHIFT_HIGH = [7, 13, 7, 13, 7, 13, 7, 11, 12, 11, 12, 11, 12, 11, 7, 13, 7, 13, 7];
export const SHIFT_LOW = SHIFT_HIGH.map((v) => 20 - v);
// 9, 10, ..., 15: six consecutive increases that cross the mean (11.73), so no shift.
export const TREND_UP = [10, 14, 10, 14, 10, 9, 10, 11, 12, 13, 14, 15, 10, 14, 10];
export const TREND_DOWN = [10, 14, 10, 14, 10, 15, 14, 13, 12, 11, 10, 9, 14, 10, 14];
// Two 14s in three points, above the upper near limit (13.46) but inside the UPL (14.77).
export const TWO_OF_THREE_HIGH = [...alternating(10, 10, 11), 14, 11, 14, ...alternating(7, 10, 11)];
export const TWO_OF_THREE_LOW = [...alternating(10, 10, 11), 7, 10, 7, ...alternating(7, 11, 10)];
