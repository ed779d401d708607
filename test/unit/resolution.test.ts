import { describe, expect, it } from 'vitest';
import { resolutionOddsRatio, summariseResolution } from '../../src/domain/resolution.js';

describe('summariseResolution', () => {
  it('counts, rates with a Wilson interval and takes the Kaplan-Meier median', () => {
    // Resolved at days 3 and 4, one open at 26: S(3) = 2/3, S(4) = 1/3 <= 1/2 -> median 4.
    const result = summariseResolution([
      { days: 3, resolved: true, count: 1 },
      { days: 4, resolved: true, count: 1 },
      { days: 26, resolved: false, count: 1 },
    ]);
    expect(result.items).toBe(3);
    expect(result.resolved).toBe(2);
    expect(result.resolutionRate).toBeCloseTo(2 / 3, 12);
    expect(result.lower).toBeCloseTo(0.20765960080204765, 12);
    expect(result.upper).toBeCloseTo(0.9385080552796037, 12);
    expect(result.medianDaysToResolution).toBe(4);
  });

  it('counts censored issues at a tied time as still at risk', () => {
    // 1 resolved at day 1; at day 10 one resolved and one censored: S = 3/4 x 2/3 = 1/2 -> median 10.
    const result = summariseResolution([
      { days: 1, resolved: true, count: 1 },
      { days: 10, resolved: true, count: 1 },
      { days: 10, resolved: false, count: 1 },
      { days: 20, resolved: false, count: 1 },
    ]);
    expect(result.medianDaysToResolution).toBe(10);
    expect(result.curve.points.map((p) => [p.time, p.atRisk, p.events, p.censored])).toEqual([
      [1, 4, 1, 0],
      [10, 3, 1, 1],
      [20, 1, 0, 1],
    ]);
  });

  it('has no rate and no median when empty, and no median when under half resolved', () => {
    expect(summariseResolution([])).toMatchObject({
      items: 0,
      resolved: 0,
      resolutionRate: null,
      lower: null,
      upper: null,
      medianDaysToResolution: null,
    });
    expect(
      summariseResolution([
        { days: 5, resolved: false, count: 3 },
        { days: 2, resolved: true, count: 1 },
      ]).medianDaysToResolution,
    ).toBeNull();
  });
});

describe('resolutionOddsRatio', () => {
  it('gives the odds ratio, Woolf interval, Fisher p and flags small counts', () => {
    const result = resolutionOddsRatio({ items: 7, resolved: 4 }, { items: 5, resolved: 2 });
    expect(result.table).toEqual({
      exposedResolved: 4,
      exposedUnresolved: 3,
      referenceResolved: 2,
      referenceUnresolved: 3,
    });
    expect(result.oddsRatio).toBeCloseTo(2, 12);
    expect(result.lower).toBeCloseTo(0.194042790925719, 12);
    expect(result.upper).toBeCloseTo(20.614009832146923, 12);
    expect(result.method).toBe('woolf');
    expect(result.fisherP).toBeCloseTo(1, 12);
    expect(result.smallCounts).toBe(true);
  });

  it('does not flag large balanced tables', () => {
    expect(resolutionOddsRatio({ items: 40, resolved: 30 }, { items: 40, resolved: 10 }).smallCounts).toBe(false);
  });

  it('uses the Haldane correction for a zero cell', () => {
    const result = resolutionOddsRatio({ items: 3, resolved: 3 }, { items: 3, resolved: 1 });
    expect(result.method).toBe('woolf_haldane');
    // (3.5 x 2.5) / (0.5 x 1.5) = 11.666...
    expect(result.oddsRatio).toBeCloseTo(35 / 3, 12);
  });
});
