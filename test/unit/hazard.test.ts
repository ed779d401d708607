import { describe, expect, it } from 'vitest';
import {
  ACTION_THRESHOLD,
  ageBonus,
  assessHazard,
  compareThreats,
  probabilityFromRecurrence,
  severityFromConsequence,
  type RankableThreat,
} from '../../src/domain/hazard.js';

describe('severityFromConsequence', () => {
  it('maps every 5x5 consequence to an HFMEA severity', () => {
    // negligible and minor -> minor; moderate -> moderate; major -> major; catastrophic -> catastrophic
    expect([1, 2, 3, 4, 5].map(severityFromConsequence)).toEqual([1, 1, 2, 3, 4]);
  });

  it.each([0, 6, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s', (value) => {
    expect(() => severityFromConsequence(value)).toThrow(RangeError);
  });
});

describe('probabilityFromRecurrence', () => {
  it('ranks a 28-day window: 0 remote, 1-3 occasional, 4+ frequent', () => {
    // r = raisings x 28 / 28 = raisings: 1 is monthly (occasional), 4 weekly (frequent); 1/4 cannot occur.
    expect([0, 1, 2, 3, 4, 5, 20].map((n) => probabilityFromRecurrence(n, 28))).toEqual([1, 3, 3, 3, 4, 4, 4]);
  });

  it('ranks a 112-day window (16 weeks) at its exact boundaries', () => {
    // r = n / 4: n = 1 -> 1/4 uncommon; n = 3 -> 3/4 uncommon; n = 4 -> 1 occasional; 15 -> 3.75; 16 -> 4 frequent.
    const ranks = [0, 1, 3, 4, 15, 16].map((n) => probabilityFromRecurrence(n, 112));
    expect(ranks).toEqual([1, 2, 2, 3, 3, 4]);
  });

  it('just past a boundary drops a rank (113 days: one raising is below one a quarter)', () => {
    expect(probabilityFromRecurrence(1, 113)).toBe(1);
    expect(probabilityFromRecurrence(4, 113)).toBe(2); // 112 / 113 < 1
    expect(probabilityFromRecurrence(17, 113)).toBe(4); // 476 >= 452
    expect(probabilityFromRecurrence(16, 113)).toBe(3); // 448 < 452
  });

  it('treats windows shorter than 28 days as 28 days, so one raising in a week is not frequent', () => {
    for (const days of [1, 7, 14, 27, 28]) {
      expect(probabilityFromRecurrence(1, days)).toBe(3);
      expect(probabilityFromRecurrence(3, days)).toBe(3);
      expect(probabilityFromRecurrence(4, days)).toBe(4);
    }
  });

  it('over a two-year window needs a raising every 16 weeks for "uncommon"', () => {
    // 731 days: n x 112 >= 731 needs n >= 7 (6.53); n x 28 >= 731 needs 27 (26.1); n x 28 >= 2924 needs 105 (104.4).
    expect([6, 7, 26, 27, 104, 105].map((n) => probabilityFromRecurrence(n, 731))).toEqual([1, 2, 2, 3, 3, 4]);
  });

  it('agrees with the rate definition everywhere on a grid, and is monotone in both arguments', () => {
    for (let days = 1; days <= 731; days += 1) {
      let previous = 0;
      for (let n = 0; n <= 120; n++) {
        const p = probabilityFromRecurrence(n, days);
        // Independent statement of the rule with exact rationals: r = 28n / max(days, 28).
        const num = 28 * n;
        const den = Math.max(days, 28);
        const expected = num >= 4 * den ? 4 : num >= den ? 3 : 4 * num >= den ? 2 : 1;
        if (p !== expected) throw new Error(`n=${n} days=${days}: ${p} != ${expected}`);
        // More raisings never lower the rank; a longer window never raises it.
        if (p < previous) throw new Error(`not monotone in raisings at n=${n} days=${days}`);
        if (days > 1 && p > probabilityFromRecurrence(n, days - 1))
          throw new Error(`not monotone in days at n=${n} days=${days}`);
        previous = p;
      }
    }
  });

  it.each([
    [-1, 28],
    [1.5, 28],
    [Number.NaN, 28],
    [1, 0],
    [1, -5],
    [1, 2.5],
  ])('refuses raisings %s over %s days', (n, days) => {
    expect(() => probabilityFromRecurrence(n, days)).toThrow(RangeError);
  });
});

describe('ageBonus', () => {
  it('adds a point per full 13 weeks open, at most four', () => {
    const cases: [number, number][] = [
      [0, 0],
      [90, 0],
      [91, 1],
      [181, 1],
      [182, 2],
      [272, 2],
      [273, 3],
      [363, 3],
      [364, 4],
      [365, 4],
      [5000, 4],
    ];
    for (const [days, bonus] of cases) expect(ageBonus(days), `${days} days`).toBe(bonus);
  });

  it.each([-1, 0.5, Number.NaN])('refuses %s', (days) => {
    expect(() => ageBonus(days)).toThrow(RangeError);
  });
});

describe('assessHazard', () => {
  it('multiplies severity by probability and proceeds to action from 8, for every combination', () => {
    // A window and raisings that give each probability rank: 28 days with 0, 1, 4 raisings; 112 days with 1.
    const forProbability = { 1: [0, 28], 2: [1, 112], 3: [1, 28], 4: [4, 28] } as const;
    const severityOf = [0, 1, 1, 2, 3, 4]; // by consequence
    for (const consequence of [1, 2, 3, 4, 5]) {
      for (const probability of [1, 2, 3, 4] as const) {
        const [raisingsInWindow, windowDays] = forProbability[probability];
        const result = assessHazard({ consequence, raisingsInWindow, windowDays, ageDays: 0 });
        const severity = severityOf[consequence]!;
        expect(result).toEqual({
          severity,
          probability,
          hazardScore: severity * probability,
          ageBonus: 0,
          rankScore: severity * probability,
          proceedToAction: severity * probability >= ACTION_THRESHOLD,
        });
      }
    }
  });

  it('lists exactly the HFMEA combinations that proceed: 8, 9, 12 and 16', () => {
    const proceeding = new Set<number>();
    for (const s of [1, 2, 3, 4]) for (const p of [1, 2, 3, 4]) if (s * p >= ACTION_THRESHOLD) proceeding.add(s * p);
    expect([...proceeding].sort((a, b) => a - b)).toEqual([8, 9, 12, 16]);
  });

  it('adds age to the rank score but not to the hazard score', () => {
    const result = assessHazard({ consequence: 4, raisingsInWindow: 2, windowDays: 90, ageDays: 200 });
    // severity 3; r = 56 / 90 -> uncommon 2 (56 x 4 = 224 >= 90; 56 < 90); hazard 6; age 200 -> 2
    expect(result).toEqual({
      severity: 3,
      probability: 2,
      hazardScore: 6,
      ageBonus: 2,
      rankScore: 8,
      proceedToAction: false,
    });
  });

  it('checks its inputs', () => {
    expect(() => assessHazard({ consequence: 0, raisingsInWindow: 1, windowDays: 28, ageDays: 0 })).toThrow(RangeError);
    expect(() => assessHazard({ consequence: 3, raisingsInWindow: -1, windowDays: 28, ageDays: 0 })).toThrow(
      RangeError,
    );
    expect(() => assessHazard({ consequence: 3, raisingsInWindow: 1, windowDays: 0, ageDays: 0 })).toThrow(RangeError);
    expect(() => assessHazard({ consequence: 3, raisingsInWindow: 1, windowDays: 28, ageDays: -2 })).toThrow(
      RangeError,
    );
  });
});

describe('compareThreats', () => {
  const threat = (threadId: string, fields: Partial<RankableThreat>): RankableThreat => ({
    threadId,
    severity: 1,
    probability: 1,
    hazardScore: 1,
    ageBonus: 0,
    rankScore: 1,
    proceedToAction: false,
    ageDays: 0,
    raisingsInWindow: 0,
    ...fields,
  });

  it('orders by rank score, then hazard score, age, recurrence and thread id', () => {
    const threats = [
      threat('g', { rankScore: 9, hazardScore: 8, ageDays: 5, raisingsInWindow: 1 }),
      threat('a', { rankScore: 10, hazardScore: 6, ageDays: 400 }),
      threat('b', { rankScore: 10, hazardScore: 8, ageDays: 100 }),
      threat('f', { rankScore: 9, hazardScore: 8, ageDays: 5, raisingsInWindow: 1 }),
      threat('c', { rankScore: 9, hazardScore: 8, ageDays: 10 }),
      threat('d', { rankScore: 9, hazardScore: 8, ageDays: 5, raisingsInWindow: 3 }),
      threat('e', { rankScore: 12, hazardScore: 12 }),
    ];
    expect(threats.sort(compareThreats).map((t) => t.threadId)).toEqual(['e', 'b', 'a', 'c', 'd', 'f', 'g']);
  });
});
