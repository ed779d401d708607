/**
 * The models say when their figures cannot be trusted (a group too small, an outcome one group
 * never has, a fit that does not converge) by returning warnings, never by throwing; and the
 * distribution tails and edge cases give the textbook values.
 */
import { describe, expect, it } from 'vitest';
import { coxRegression } from '../../src/domain/inference/cox.js';
import { designMatrix, dropColumns, numericColumn, treatmentColumns } from '../../src/domain/inference/design.js';
import { chiSquareSurvival, normalTwoSidedP } from '../../src/domain/inference/distributions.js';
import { logRankTest } from '../../src/domain/inference/log-rank.js';
import { likelihoodRatioTest, logisticRegression } from '../../src/domain/inference/logistic.js';
import { mantelHaenszel } from '../../src/domain/inference/mantel-haenszel.js';
import { invertSymmetricPositiveDefinite, matrixProduct } from '../../src/domain/inference/matrix.js';

interface Row {
  x: number;
  y: number;
}

/** n rows with x alternating 0/1 and y from `outcome(i)`. */
function rows(n: number, outcome: (i: number, x: number) => number): Row[] {
  return Array.from({ length: n }, (_, i) => ({ x: i % 2, y: outcome(i, i % 2) }));
}

function fitLogistic(data: Row[]) {
  const design = designMatrix(data, [numericColumn<Row>('x', (r) => r.x)]);
  return logisticRegression(
    design,
    data.map((r) => r.y),
  );
}

function codes(warnings: { code: string }[]): string[] {
  return warnings.map((w) => w.code);
}

describe('distribution tails', () => {
  it('gives the textbook 5% points', () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 14);
    expect(chiSquareSurvival(5.991464547107979, 2)).toBeCloseTo(0.05, 14);
    expect(normalTwoSidedP(1.959963984540054)).toBeCloseTo(0.05, 14);
    expect(normalTwoSidedP(-1.959963984540054)).toBeCloseTo(0.05, 14);
  });

  it('keeps tiny tails instead of rounding them to 0', () => {
    // With 2 df the survival function is exactly exp(-x / 2).
    expect(chiSquareSurvival(100, 2) / Math.exp(-50)).toBeCloseTo(1, 12);
    expect(normalTwoSidedP(10)).toBeGreaterThan(1e-24);
    expect(normalTwoSidedP(10)).toBeLessThan(1e-22);
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });
});

describe('matrix inverse', () => {
  it('inverts a symmetric positive-definite matrix and refuses a singular one', () => {
    const m = [
      [4, 2, 0.5],
      [2, 3, 1],
      [0.5, 1, 2],
    ];
    const product = matrixProduct(m, invertSymmetricPositiveDefinite(m) as number[][]);
    product.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 12)));
    expect(
      invertSymmetricPositiveDefinite([
        [1, 2],
        [2, 4],
      ]),
    ).toBeNull();
  });
});

describe('logistic regression guards', () => {
  it('fits a balanced design with no warning, and the odds ratio of a 2x2 table', () => {
    // x = 1: 30 of 50 resolved (odds 1.5); x = 0: 20 of 50 (odds 2/3): OR = 2.25 exactly.
    const fit = fitLogistic(rows(100, (i, x) => (x === 1 ? Number(i % 10 < 6) : Number(i % 10 < 4))));
    expect(fit.warnings).toEqual([]);
    expect(fit.converged).toBe(true);
    expect(fit.estimates.find((e) => e.name === 'x')?.ratio).toBeCloseTo(2.25, 10);
  });

  it('warns of separation when a predictor decides the outcome, and does not throw', () => {
    const fit = fitLogistic(rows(60, (_, x) => x));
    expect(codes(fit.warnings)).toContain('separation');
    expect(fit.warnings.some((w) => w.message.includes('x = 1'))).toBe(true);
  });

  it('warns of a group too small to estimate from', () => {
    const data = Array.from({ length: 80 }, (_, i) => ({ x: i < 4 ? 1 : 0, y: i % 3 === 0 ? 1 : 0 }));
    const fit = fitLogistic(data);
    expect(codes(fit.warnings)).toContain('small_group');
    expect(fit.warnings.find((w) => w.code === 'small_group')?.message).toMatch(/x = 1 has 4 observations/);
  });

  it('warns when every observation has the same outcome', () => {
    const fit = fitLogistic(rows(40, () => 1));
    expect(codes(fit.warnings)).toContain('separation');
  });

  it('warns of too few events per predictor', () => {
    // 8 events (4 in each group) for one predictor: fewer than 10 per coefficient.
    const fit = fitLogistic(rows(200, (i) => Number(i % 50 === 0 || i % 50 === 1)));
    expect(codes(fit.warnings)).toContain('few_events');
  });

  it('reports a singular design (a column repeated) instead of throwing', () => {
    const data = rows(100, (i) => Number(i % 3 === 0));
    const design = designMatrix(data, [numericColumn<Row>('x', (r) => r.x), numericColumn<Row>('x_again', (r) => r.x)]);
    const fit = logisticRegression(
      design,
      data.map((r) => r.y),
    );
    expect(codes(fit.warnings)).toContain('singular');
    expect(fit.estimates).toEqual([]);
  });

  it('reports non-convergence when the iterations run out', () => {
    const fit = logisticRegression(
      designMatrix(
        rows(100, (i) => Number(i % 3 === 0)),
        [numericColumn<Row>('x', (r) => r.x)],
      ),
      rows(100, (i) => Number(i % 3 === 0)).map((r) => r.y),
      { maxIterations: 1 },
    );
    expect(fit.converged).toBe(false);
    expect(codes(fit.warnings)).toContain('not_converged');
  });

  it('refuses an outcome other than 0/1 and a likelihood-ratio test of models that are not nested', () => {
    const data = rows(20, () => 2);
    expect(() => fitLogistic(data)).toThrow(RangeError);
    const design = designMatrix(
      rows(100, (i) => Number(i % 3 === 0)),
      [numericColumn<Row>('x', (r) => r.x), ...treatmentColumns<Row>('parity', (r) => String(r.x), ['0', '1'], '0')],
    );
    expect(() => dropColumns(design, ['missing'])).toThrow(RangeError);
    const full = { logLikelihood: -10, names: ['intercept', 'x'] };
    expect(() => likelihoodRatioTest(full, { logLikelihood: -12, names: ['intercept', 'z'] })).toThrow(RangeError);
  });
});

describe('Mantel-Haenszel guards', () => {
  it('gives an odds ratio of 1 and a Breslow-Day statistic of 0 for identical strata with no association', () => {
    const result = mantelHaenszel([
      [
        [10, 10],
        [10, 10],
      ],
      [
        [5, 5],
        [5, 5],
      ],
    ]);
    expect(result.pooledOddsRatio).toBe(1);
    expect(result.breslowDay?.chi2).toBeCloseTo(0, 12);
    expect(result.breslowDay?.p).toBeCloseTo(1, 12);
    expect(result.test?.chi2).toBe(0);
  });

  it('skips a stratum with an empty row and flags a small one', () => {
    const result = mantelHaenszel([
      [
        [20, 10],
        [10, 20],
      ],
      [
        [0, 0],
        [3, 4],
      ],
      [
        [2, 1],
        [1, 2],
      ],
    ]);
    expect(result.strataUsed).toBe(2);
    expect(codes(result.warnings)).toEqual(['stratum_skipped', 'small_group']);
    expect(result.pooledOddsRatio).toBeGreaterThan(1);
  });

  it('returns no pooled odds ratio, with a warning, when one outcome never occurs in a row', () => {
    const result = mantelHaenszel([
      [
        [12, 0],
        [5, 9],
      ],
    ]);
    expect(result.pooledOddsRatio).toBeNull();
    expect(codes(result.warnings)).toContain('separation');
  });
});

describe('survival guards', () => {
  const times = Array.from({ length: 40 }, (_, i) => ({ time: 1 + (i % 13), event: i % 4 !== 0, group: i % 2 }));

  it('warns when one group of a Cox covariate has no event', () => {
    const observations = times.map((t) => ({ time: t.time, event: t.group === 1 ? false : t.event }));
    const design = designMatrix(times, [numericColumn<(typeof times)[number]>('group', (t) => t.group)], false);
    const fit = coxRegression(design, observations);
    expect(codes(fit.warnings)).toContain('separation');
  });

  it('refuses an intercept in a Cox design', () => {
    const design = designMatrix(times, [numericColumn<(typeof times)[number]>('group', (t) => t.group)]);
    expect(() => coxRegression(design, times)).toThrow(/intercept/);
  });

  it('flags few events and a small group in a Cox model', () => {
    const small = times.slice(0, 12);
    const design = designMatrix(small, [numericColumn<(typeof small)[number]>('group', (t) => t.group)], false);
    const fit = coxRegression(design, small);
    expect(codes(fit.warnings)).toEqual(expect.arrayContaining(['few_events', 'small_group']));
    expect(fit.estimates).toHaveLength(1);
  });

  it('returns no log-rank statistic when a group is empty', () => {
    const result = logRankTest(times.map((t) => ({ ...t, inGroup: false })));
    expect(result.chi2).toBeNull();
    expect(result.p).toBeNull();
    expect(codes(result.warnings)).toContain('small_group');
  });

  it('gives 0 for two groups with identical histories', () => {
    const result = logRankTest(
      times.flatMap((t) => [
        { ...t, inGroup: true },
        { ...t, inGroup: false },
      ]),
    );
    expect(result.chi2).toBeCloseTo(0, 12);
    expect(result.warnings).toEqual([]);
  });
});
