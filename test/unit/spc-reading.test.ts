/** Reading an XmR chart: improvement direction, the latest point's variation, and assurance against a target. */
import { describe, expect, it } from 'vitest';
import {
  chart,
  alternating,
  OUTSIDE_HIGH,
  OUTSIDE_LOW,
  SHIFT_HIGH,
  SHIFT_LOW,
  TREND_UP,
  TREND_DOWN,
  TWO_OF_THREE_HIGH,
  TWO_OF_THREE_LOW,
} from './spc-series.js';

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
