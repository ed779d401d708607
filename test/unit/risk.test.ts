import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BAND_THRESHOLDS,
  RISK_BANDS,
  bandAtLeast,
  bandRank,
  riskBand,
  riskScore,
  validateBandThresholds,
  type BandThresholds,
  type RiskBand,
} from '../../src/domain/risk.js';

// The NPSA 2008 matrix, transcribed cell by cell (not computed):
// rows are consequence 1..5, columns are likelihood 1..5.
const PUBLISHED_SCORES: number[][] = [
  /* 1 negligible   */ [1, 2, 3, 4, 5],
  /* 2 minor        */ [2, 4, 6, 8, 10],
  /* 3 moderate     */ [3, 6, 9, 12, 15],
  /* 4 major        */ [4, 8, 12, 16, 20],
  /* 5 catastrophic */ [5, 10, 15, 20, 25],
];
const PUBLISHED_BANDS: RiskBand[][] = [
  /* 1 negligible   */ ['low', 'low', 'low', 'moderate', 'moderate'],
  /* 2 minor        */ ['low', 'moderate', 'moderate', 'high', 'high'],
  /* 3 moderate     */ ['low', 'moderate', 'high', 'high', 'extreme'],
  /* 4 major        */ ['moderate', 'high', 'high', 'extreme', 'extreme'],
  /* 5 catastrophic */ ['moderate', 'high', 'extreme', 'extreme', 'extreme'],
];

const cells = PUBLISHED_SCORES.flatMap((row, c) =>
  row.map((score, l) => ({
    consequence: c + 1,
    likelihood: l + 1,
    score,
    band: PUBLISHED_BANDS[c]?.[l] as RiskBand,
  })),
);

describe('riskScore and riskBand against the published matrix', () => {
  it('has 25 cells', () => {
    expect(cells).toHaveLength(25);
  });

  it.each(cells)('consequence $consequence x likelihood $likelihood = $score ($band)', (cell) => {
    const score = riskScore(cell.consequence, cell.likelihood);
    expect(score).toBe(cell.score);
    expect(riskBand(score)).toBe(cell.band);
    expect(riskBand(score, DEFAULT_BAND_THRESHOLDS)).toBe(cell.band);
  });

  it('produces exactly the 14 possible scores', () => {
    const scores = new Set<number>();
    for (let c = 1; c <= 5; c++) for (let l = 1; l <= 5; l++) scores.add(riskScore(c, l));
    expect([...scores].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25]);
  });

  it('bands every possible score as published (1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme)', () => {
    const expected: Array<[number, RiskBand]> = [
      [1, 'low'],
      [2, 'low'],
      [3, 'low'],
      [4, 'moderate'],
      [5, 'moderate'],
      [6, 'moderate'],
      [8, 'high'],
      [9, 'high'],
      [10, 'high'],
      [12, 'high'],
      [15, 'extreme'],
      [16, 'extreme'],
      [20, 'extreme'],
      [25, 'extreme'],
    ];
    for (const [score, band] of expected) expect(riskBand(score), `score ${score}`).toBe(band);
  });

  it('is symmetric in consequence and likelihood', () => {
    for (let c = 1; c <= 5; c++) for (let l = 1; l <= 5; l++) expect(riskScore(c, l)).toBe(riskScore(l, c));
  });
});

describe('constants', () => {
  it('lists bands in severity order', () => {
    expect(RISK_BANDS).toEqual(['low', 'moderate', 'high', 'extreme']);
  });

  it('has the NPSA default thresholds, which are valid and frozen', () => {
    expect(DEFAULT_BAND_THRESHOLDS).toEqual({ moderate: 4, high: 8, extreme: 15 });
    expect(validateBandThresholds(DEFAULT_BAND_THRESHOLDS)).toBeNull();
    expect(Object.isFrozen(DEFAULT_BAND_THRESHOLDS)).toBe(true);
  });
});

describe('riskScore rejects invalid ratings', () => {
  const bad = [0, 6, -1, 1.5, 2.0000001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  it.each(bad)('consequence %s', (value) => {
    expect(() => riskScore(value, 3)).toThrow(RangeError);
    expect(() => riskScore(value, 3)).toThrow(/consequence/);
  });
  it.each(bad)('likelihood %s', (value) => {
    expect(() => riskScore(3, value)).toThrow(RangeError);
    expect(() => riskScore(3, value)).toThrow(/likelihood/);
  });
  it('accepts integer-valued floats such as 5.0', () => {
    expect(riskScore(5.0, 5.0)).toBe(25);
  });
});

describe('riskBand', () => {
  it('bands scores that are not matrix products by threshold (7 is moderate, 13 high)', () => {
    expect(riskBand(7)).toBe('moderate');
    expect(riskBand(11)).toBe('high');
    expect(riskBand(13)).toBe('high');
    expect(riskBand(14)).toBe('high');
    expect(riskBand(24)).toBe('extreme');
  });

  it.each([0, 26, -4, 4.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects score %s', (score) => {
    expect(() => riskBand(score)).toThrow(RangeError);
  });

  it('applies custom thresholds at their exact boundaries', () => {
    const strict: BandThresholds = { moderate: 3, high: 6, extreme: 12 };
    const expected: Array<[number, RiskBand]> = [
      [1, 'low'],
      [2, 'low'],
      [3, 'moderate'],
      [4, 'moderate'],
      [5, 'moderate'],
      [6, 'high'],
      [8, 'high'],
      [10, 'high'],
      [12, 'extreme'],
      [15, 'extreme'],
      [25, 'extreme'],
    ];
    for (const [score, band] of expected) expect(riskBand(score, strict), `score ${score}`).toBe(band);
  });

  it('supports the narrowest and widest valid thresholds', () => {
    const narrowLow: BandThresholds = { moderate: 2, high: 3, extreme: 4 };
    expect([1, 2, 3, 4, 25].map((s) => riskBand(s, narrowLow))).toEqual([
      'low',
      'moderate',
      'high',
      'extreme',
      'extreme',
    ]);
    const wideLow: BandThresholds = { moderate: 23, high: 24, extreme: 25 };
    expect([22, 23, 24, 25].map((s) => riskBand(s, wideLow))).toEqual(['low', 'moderate', 'high', 'extreme']);
  });

  it('changes the band of the matrix cells with custom thresholds', () => {
    const thresholds: BandThresholds = { moderate: 5, high: 10, extreme: 20 };
    expect(riskBand(riskScore(2, 2), thresholds)).toBe('low'); // 4
    expect(riskBand(riskScore(3, 3), thresholds)).toBe('moderate'); // 9
    expect(riskBand(riskScore(4, 4), thresholds)).toBe('high'); // 16
    expect(riskBand(riskScore(4, 5), thresholds)).toBe('extreme'); // 20
  });

  it('throws on invalid thresholds instead of guessing', () => {
    expect(() => riskBand(10, { moderate: 8, high: 8, extreme: 15 })).toThrow(RangeError);
    expect(() => riskBand(10, { moderate: 8, high: 8, extreme: 15 })).toThrow(/strictly increasing/);
  });
});

describe('validateBandThresholds', () => {
  it.each<BandThresholds>([
    { moderate: 4, high: 8, extreme: 15 },
    { moderate: 2, high: 3, extreme: 4 },
    { moderate: 23, high: 24, extreme: 25 },
    { moderate: 5, high: 10, extreme: 20 },
  ])('accepts %o', (t) => {
    expect(validateBandThresholds(t)).toBeNull();
  });

  it.each<[string, BandThresholds, RegExp]>([
    ['moderate below 2', { moderate: 1, high: 8, extreme: 15 }, /moderate/],
    ['moderate zero', { moderate: 0, high: 8, extreme: 15 }, /moderate/],
    ['negative', { moderate: 4, high: -8, extreme: 15 }, /high/],
    ['extreme above 25', { moderate: 4, high: 8, extreme: 26 }, /extreme/],
    ['non-integer', { moderate: 4.5, high: 8, extreme: 15 }, /moderate.*integer/],
    ['NaN', { moderate: 4, high: Number.NaN, extreme: 15 }, /high/],
    ['Infinity', { moderate: 4, high: 8, extreme: Number.POSITIVE_INFINITY }, /extreme/],
    ['equal moderate and high', { moderate: 8, high: 8, extreme: 15 }, /strictly increasing/],
    ['equal high and extreme', { moderate: 4, high: 15, extreme: 15 }, /strictly increasing/],
    ['decreasing', { moderate: 15, high: 8, extreme: 4 }, /strictly increasing/],
    ['moderate above high', { moderate: 10, high: 8, extreme: 15 }, /strictly increasing/],
  ])('rejects %s', (_name, t, message) => {
    const problem = validateBandThresholds(t);
    expect(problem).not.toBeNull();
    expect(problem).toMatch(message);
  });
});

describe('bandRank and bandAtLeast', () => {
  it('ranks low 0 .. extreme 3', () => {
    expect(RISK_BANDS.map(bandRank)).toEqual([0, 1, 2, 3]);
  });

  it('compares every pair of bands', () => {
    for (const band of RISK_BANDS) {
      for (const min of RISK_BANDS) {
        const expected = RISK_BANDS.indexOf(band) >= RISK_BANDS.indexOf(min);
        expect(bandAtLeast(band, min), `${band} >= ${min}`).toBe(expected);
      }
    }
  });

  it('spot-checks the pairs explicitly', () => {
    expect(bandAtLeast('extreme', 'high')).toBe(true);
    expect(bandAtLeast('high', 'high')).toBe(true);
    expect(bandAtLeast('moderate', 'high')).toBe(false);
    expect(bandAtLeast('low', 'low')).toBe(true);
    expect(bandAtLeast('low', 'moderate')).toBe(false);
  });

  it('throws on an unknown band from untyped input', () => {
    expect(() => bandRank('severe' as RiskBand)).toThrow(RangeError);
    expect(() => bandAtLeast('high', 'critical' as RiskBand)).toThrow(RangeError);
  });
});
