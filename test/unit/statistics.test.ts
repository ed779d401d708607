import { describe, expect, it } from 'vitest';
import { fisherExactTwoSided, kaplanMeier, median, oddsRatio, wilsonInterval } from '../../src/domain/statistics.js';

/** Relative closeness, for p-values that span many orders of magnitude. */
function expectRelativelyClose(actual: number | null, expected: number, relativeTolerance = 1e-8): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.abs(expected) * relativeTolerance);
}

describe('median', () => {
  it('returns null for an empty list', () => {
    expect(median([])).toBeNull();
  });

  it('returns the middle value of an odd-length list regardless of order', () => {
    expect(median([7])).toBe(7);
    expect(median([9, 1, 5])).toBe(5);
    expect(median([3, -2, 10, 4, 4])).toBe(4);
  });

  it('averages the two middle values of an even-length list', () => {
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(median([10, 2])).toBe(6);
    expect(median([5, 5, 1, 9])).toBe(5);
  });

  it('sorts numerically, not lexically', () => {
    expect(median([100, 9, 20])).toBe(20);
  });

  it('does not mutate its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('rejects non-finite values', () => {
    expect(() => median([1, Number.NaN])).toThrow(RangeError);
    expect(() => median([Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });
});

describe('wilsonInterval', () => {
  // Newcombe RG. Two-sided confidence intervals for the single proportion: comparison
  // of seven methods. Stat Med 1998;17:857-872, worked examples, method 3 (Wilson score
  // interval without continuity correction), published to 4 decimal places.
  it.each([
    { successes: 81, total: 263, lower: 0.2553, upper: 0.3662 },
    { successes: 15, total: 148, lower: 0.0624, upper: 0.1605 },
    { successes: 0, total: 20, lower: 0.0, upper: 0.1611 },
    { successes: 1, total: 29, lower: 0.0061, upper: 0.1718 },
  ])('matches Newcombe (1998) for $successes/$total', ({ successes, total, lower, upper }) => {
    const interval = wilsonInterval(successes, total);
    expect(interval.rate).toBeCloseTo(successes / total, 12);
    expect(interval.lower).toBeCloseTo(lower, 4);
    expect(interval.upper).toBeCloseTo(upper, 4);
  });

  it('matches the closed form computed by hand for 81/263', () => {
    // p = 0.307985, z^2 = 3.841459; centre = (p + z^2/526) / (1 + z^2/263)
    const z = 1.959963984540054;
    const n = 263;
    const p = 81 / n;
    const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
    const interval = wilsonInterval(81, n);
    expect(interval.lower).toBeCloseTo(centre - half, 14);
    expect(interval.upper).toBeCloseTo(centre + half, 14);
  });

  it('returns nulls when there are no trials', () => {
    expect(wilsonInterval(0, 0)).toEqual({ rate: null, lower: null, upper: null });
  });

  it('keeps bounds inside [0, 1] at the extremes (0/n and n/n)', () => {
    const none = wilsonInterval(0, 20);
    expect(none.lower).toBe(0);
    const all = wilsonInterval(20, 20);
    expect(all.rate).toBe(1);
    expect(all.upper).toBe(1);
    // Symmetry: the interval for 20/20 mirrors the one for 0/20.
    expect(all.lower).toBeCloseTo(1 - (none.upper as number), 12);
  });

  it('is symmetric under swapping successes and failures', () => {
    const a = wilsonInterval(15, 148);
    const b = wilsonInterval(133, 148);
    expect(a.lower).toBeCloseTo(1 - (b.upper as number), 12);
    expect(a.upper).toBeCloseTo(1 - (b.lower as number), 12);
  });

  it('accepts a custom z (wider for 99%)', () => {
    const ci95 = wilsonInterval(81, 263);
    const ci99 = wilsonInterval(81, 263, 2.5758293035489);
    expect(ci99.lower as number).toBeLessThan(ci95.lower as number);
    expect(ci99.upper as number).toBeGreaterThan(ci95.upper as number);
  });

  it('rejects impossible counts', () => {
    expect(() => wilsonInterval(5, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(1, Number.NaN)).toThrow(RangeError);
  });
});

describe('fisherExactTwoSided', () => {
  it("reproduces Fisher's lady tasting tea: [[3,1],[1,3]] two-sided p = 0.4857 (= 34/70)", () => {
    // Fisher (1935) The Design of Experiments; also R's fisher.test TeaTasting example.
    expect(fisherExactTwoSided(3, 1, 1, 3)).toBeCloseTo(34 / 70, 12);
    expect(fisherExactTwoSided(3, 1, 1, 3)).toBeCloseTo(0.4857, 4);
  });

  it("reproduces Wikipedia's Fisher's exact test example: [[1,9],[11,3]] p = 0.002759", () => {
    // Wikipedia, "Fisher's exact test", example (men/women x studying/not studying).
    expect(fisherExactTwoSided(1, 9, 11, 3)).toBeCloseTo(0.002759, 6);
  });

  it('is invariant to transposing the table and to swapping both rows and columns', () => {
    const p = fisherExactTwoSided(1, 9, 11, 3);
    expect(fisherExactTwoSided(1, 11, 9, 3)).toBeCloseTo(p, 14);
    expect(fisherExactTwoSided(3, 11, 9, 1)).toBeCloseTo(p, 14);
  });

  it('returns 1 when the observed table is the most probable one, and for empty margins', () => {
    expect(fisherExactTwoSided(5, 5, 5, 5)).toBeCloseTo(1, 12);
    expect(fisherExactTwoSided(0, 0, 3, 4)).toBeCloseTo(1, 12);
    expect(fisherExactTwoSided(0, 0, 0, 0)).toBe(1);
  });

  it('handles a perfectly separated table: [[5,0],[0,5]] p = 2/C(10,5) = 2/252', () => {
    expect(fisherExactTwoSided(5, 0, 0, 5)).toBeCloseTo(2 / 252, 14);
    expect(fisherExactTwoSided(0, 5, 5, 0)).toBeCloseTo(2 / 252, 14);
  });

  it('counts tables of equal probability as "as extreme" (R-style tolerance)', () => {
    // [[2,1],[1,2]]: P(a=2) = P(a=1) = 9/20, P(a=0) = P(a=3) = 1/20, so p = 1.
    expect(fisherExactTwoSided(2, 1, 1, 2)).toBeCloseTo(1, 12);
    // [[1,2],[2,1]] mirrors it.
    expect(fisherExactTwoSided(1, 2, 2, 1)).toBeCloseTo(1, 12);
  });

  // Reference values below are not from a publication: they were computed with
  // SciPy 1.17 scipy.stats.fisher_exact (same definition as R) to check large counts.
  it.each([
    { table: [2, 10, 15, 3], p: 0.0005367241191434357 },
    { table: [1200, 800, 1100, 900], p: 0.0015395077387717368 },
    { table: [3000, 2000, 2900, 2100], p: 0.04412145224842155 },
    { table: [141, 420, 928, 13525], p: 2.587538511760508e-42 },
  ])('agrees with SciPy for $table (counts into the thousands)', ({ table, p }) => {
    const [a, b, c, d] = table as [number, number, number, number];
    expectRelativelyClose(fisherExactTwoSided(a, b, c, d), p, 1e-8);
  });

  it('rejects negative or fractional counts', () => {
    expect(() => fisherExactTwoSided(-1, 1, 1, 1)).toThrow(RangeError);
    expect(() => fisherExactTwoSided(1, 1.5, 1, 1)).toThrow(RangeError);
  });
});

describe('oddsRatio', () => {
  it('reproduces Bland & Altman (BMJ 2000;320:1468) hay fever/eczema OR = 4.89', () => {
    // Eczema yes: hay fever 141 yes / 420 no; eczema no: 928 yes / 13525 no.
    // The Woolf interval is computed by hand from the same formula:
    // SE(log OR) = sqrt(1/141 + 1/420 + 1/928 + 1/13525) = 0.10308,
    // 95% CI = exp(1.58775 -/+ 1.96 x 0.10308) = 4.00 to 5.99.
    const result = oddsRatio(141, 420, 928, 13525);
    expect(result.method).toBe('woolf');
    expect(result.oddsRatio).toBeCloseTo(4.89, 2);
    expect(result.oddsRatio).toBeCloseTo((141 * 13525) / (420 * 928), 12);
    expect(result.lower).toBeCloseTo(4.0, 2);
    expect(result.upper).toBeCloseTo(5.99, 2);
    expectRelativelyClose(result.fisherP, 2.587538511760508e-42, 1e-8);
  });

  it('computes the Woolf interval exactly for a hand-worked table', () => {
    // [[20,80],[10,90]]: OR = 20x90 / (80x10) = 2.25;
    // 1/20 + 1/80 + 1/10 + 1/90 = 25/144, so SE(log OR) = 5/12.
    const z = 1.959963984540054;
    const result = oddsRatio(20, 80, 10, 90);
    expect(result.method).toBe('woolf');
    expect(result.oddsRatio).toBeCloseTo(2.25, 12);
    expect(result.lower).toBeCloseTo(2.25 * Math.exp((-z * 5) / 12), 12);
    expect(result.upper).toBeCloseTo(2.25 * Math.exp((z * 5) / 12), 12);
    expect(result.lower).toBeCloseTo(0.9943, 4);
    expect(result.upper).toBeCloseTo(5.0915, 4);
    expect(result.fisherP).toBeCloseTo(fisherExactTwoSided(20, 80, 10, 90), 14);
  });

  it('inverts when exposure groups are swapped', () => {
    const forward = oddsRatio(20, 80, 10, 90);
    const swapped = oddsRatio(10, 90, 20, 80);
    expect(swapped.oddsRatio).toBeCloseTo(1 / (forward.oddsRatio as number), 12);
    expect(swapped.lower).toBeCloseTo(1 / (forward.upper as number), 12);
    expect(swapped.upper).toBeCloseTo(1 / (forward.lower as number), 12);
    expect(swapped.fisherP).toBeCloseTo(forward.fisherP, 14);
  });

  it('applies the Haldane-Anscombe +0.5 correction when a single cell is zero', () => {
    // [[10,0],[5,5]] -> [[10.5,0.5],[5.5,5.5]]: OR = 10.5 x 5.5 / (0.5 x 5.5) = 21.
    const z = 1.959963984540054;
    const se = Math.sqrt(1 / 10.5 + 1 / 0.5 + 1 / 5.5 + 1 / 5.5);
    const result = oddsRatio(10, 0, 5, 5);
    expect(result.method).toBe('woolf_haldane');
    expect(result.oddsRatio).toBeCloseTo(21, 10);
    expect(result.lower).toBeCloseTo(21 * Math.exp(-z * se), 10);
    expect(result.upper).toBeCloseTo(21 * Math.exp(z * se), 10);
    // Fisher uses the raw counts. Margins 10/10 x 15/5: the two extreme tables a=10 and
    // a=5 each have probability C(10,5)/C(20,5) = 252/15504; every other table is likelier.
    expect(result.fisherP).toBeCloseTo(504 / 15504, 14);
  });

  it('applies the correction to a perfectly separated table', () => {
    // [[5,0],[0,5]] -> OR = 5.5^2 / 0.5^2 = 121, SE = sqrt(2/5.5 + 2/0.5).
    const z = 1.959963984540054;
    const se = Math.sqrt(2 / 5.5 + 2 / 0.5);
    const result = oddsRatio(5, 0, 0, 5);
    expect(result.method).toBe('woolf_haldane');
    expect(result.oddsRatio).toBeCloseTo(121, 9);
    expect(result.lower).toBeCloseTo(121 * Math.exp(-z * se), 9);
    expect(result.upper).toBeCloseTo(121 * Math.exp(z * se), 8);
    expect(result.fisherP).toBeCloseTo(2 / 252, 14);
  });

  it('returns a null estimate when a whole row or column is empty (no information)', () => {
    const tables: [number, number, number, number][] = [
      [0, 0, 3, 4],
      [3, 4, 0, 0],
      [0, 3, 0, 4],
      [3, 0, 4, 0],
      [0, 0, 0, 0],
    ];
    for (const table of tables) {
      const result = oddsRatio(...table);
      expect(result).toEqual({
        oddsRatio: null,
        lower: null,
        upper: null,
        method: 'woolf_haldane',
        fisherP: expect.closeTo(1, 12) as number,
      });
    }
  });

  it('rejects invalid counts', () => {
    expect(() => oddsRatio(1, -2, 3, 4)).toThrow(RangeError);
  });
});

describe('kaplanMeier', () => {
  // Freireich et al. (Blood 1963) 6-MP arm, remission weeks (+ = censored), the standard
  // textbook example (Cox & Oakes 1984 Table 1.1; Kleinbaum & Klein, Survival Analysis, ch. 2):
  // 6,6,6,6+,7,9+,10,10+,11+,13,16,17+,19+,20+,22,23,25+,32+,32+,34+,35+
  const sixMp: { time: number; event: boolean }[] = [
    [6, true],
    [6, true],
    [6, true],
    [6, false],
    [7, true],
    [9, false],
    [10, true],
    [10, false],
    [11, false],
    [13, true],
    [16, true],
    [17, false],
    [19, false],
    [20, false],
    [22, true],
    [23, true],
    [25, false],
    [32, false],
    [32, false],
    [34, false],
    [35, false],
  ].map(([time, event]) => ({ time: time as number, event: event as boolean }));

  it('reproduces the published 6-MP survival table and median of 23 weeks', () => {
    const result = kaplanMeier(sixMp);
    const eventRows = result.points.filter((p) => p.events > 0);
    expect(eventRows.map(({ time, atRisk, events }) => ({ time, atRisk, events }))).toEqual([
      { time: 6, atRisk: 21, events: 3 },
      { time: 7, atRisk: 17, events: 1 },
      { time: 10, atRisk: 15, events: 1 },
      { time: 13, atRisk: 12, events: 1 },
      { time: 16, atRisk: 11, events: 1 },
      { time: 22, atRisk: 7, events: 1 },
      { time: 23, atRisk: 6, events: 1 },
    ]);
    const published = [0.857, 0.807, 0.753, 0.69, 0.627, 0.538, 0.448];
    eventRows.forEach((row, i) => expect(row.survival).toBeCloseTo(published[i] as number, 3));
    expect(result.median).toBe(23);
  });

  it('includes censor-only times with survival unchanged', () => {
    const result = kaplanMeier(sixMp);
    const at = (t: number) => result.points.find((p) => p.time === t);
    expect(at(9)).toEqual({ time: 9, atRisk: 16, events: 0, censored: 1, survival: expect.closeTo(0.807, 3) });
    expect(at(32)).toMatchObject({ atRisk: 4, events: 0, censored: 2 });
    expect(at(35)).toMatchObject({ atRisk: 1, events: 0, censored: 1, survival: expect.closeTo(0.448, 3) });
    expect(result.points.map((p) => p.time)).toEqual([6, 7, 9, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 34, 35]);
    // Every observation is accounted for exactly once.
    expect(result.points.reduce((n, p) => n + p.events + p.censored, 0)).toBe(21);
  });

  it('reproduces Bewick, Cheek & Ball (Crit Care 2004;8:389) Table 2, incl. a tie at day 9', () => {
    // Treatment 2: 1, 1, 4, 5, 6+, 9, 9+, 22 days. The published table keeps the
    // patient censored at day 9 in the risk set for the day-9 death (3 at risk).
    const result = kaplanMeier([
      { time: 1, event: true },
      { time: 1, event: true },
      { time: 4, event: true },
      { time: 5, event: true },
      { time: 6, event: false },
      { time: 9, event: false }, // listed before the death to prove input order does not matter
      { time: 9, event: true },
      { time: 22, event: true },
    ]);
    const rows = result.points.filter((p) => p.events > 0);
    expect(rows.map((p) => [p.time, p.atRisk, p.events])).toEqual([
      [1, 8, 2],
      [4, 6, 1],
      [5, 5, 1],
      [9, 3, 1],
      [22, 1, 1],
    ]);
    const published = [0.75, 0.625, 0.5, 0.333, 0];
    rows.forEach((row, i) => expect(row.survival).toBeCloseTo(published[i] as number, 3));
    // Survival is exactly 0.5 at day 5, which counts as reaching the median.
    expect(result.median).toBe(5);
  });

  it('processes events before censorings at the same time', () => {
    // Event-first: 3 at risk at day 5, S(5) = 2/3. Censoring first would wrongly
    // leave only 2 at risk and give S(5) = 1/2.
    const result = kaplanMeier([
      { time: 5, event: false },
      { time: 5, event: true },
      { time: 10, event: true },
    ]);
    expect(result.points).toEqual([
      { time: 5, atRisk: 3, events: 1, censored: 1, survival: expect.closeTo(2 / 3, 12) },
      { time: 10, atRisk: 1, events: 1, censored: 0, survival: 0 },
    ]);
    expect(result.median).toBe(10);
  });

  it('returns a null median when survival never falls to 0.5', () => {
    const result = kaplanMeier([
      { time: 2, event: true },
      { time: 3, event: false },
      { time: 4, event: false },
      { time: 8, event: false },
    ]);
    expect(result.points.at(-1)?.survival).toBeCloseTo(0.75, 12);
    expect(result.median).toBeNull();
  });

  it('matches the empirical survival function when nothing is censored', () => {
    const result = kaplanMeier([3, 1, 2, 4].map((time) => ({ time, event: true })));
    expect(result.points.map((p) => p.survival)).toEqual([0.75, 0.5, 0.25, 0]);
    expect(result.median).toBe(2);
  });

  it('handles empty input and all-censored input', () => {
    expect(kaplanMeier([])).toEqual({ points: [], median: null });
    const allOpen = kaplanMeier([
      { time: 3, event: false },
      { time: 7, event: false },
    ]);
    expect(allOpen.points.every((p) => p.survival === 1)).toBe(true);
    expect(allOpen.median).toBeNull();
  });

  it('accepts same-day resolution (time 0)', () => {
    const result = kaplanMeier([
      { time: 0, event: true },
      { time: 1, event: true },
    ]);
    expect(result.points[0]).toEqual({ time: 0, atRisk: 2, events: 1, censored: 0, survival: 0.5 });
    expect(result.median).toBe(0);
  });

  it('rejects negative or non-finite times', () => {
    expect(() => kaplanMeier([{ time: -1, event: true }])).toThrow(RangeError);
    expect(() => kaplanMeier([{ time: Number.NaN, event: false }])).toThrow(RangeError);
  });
});
