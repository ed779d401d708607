/**
 * The adjusted alignment analysis, reproduced figure by figure from alignment-a.csv against what
 * statsmodels 0.13 and scipy 1.10 computed (alignment-a.expected.json): 1e-6 relative, the
 * cluster-robust and Cox figures 1e-4.
 */
import { describe, expect, it } from 'vitest';
import { coxRegression } from '../../src/domain/inference/cox.js';
import { designMatrix, dropColumns, numericColumn, treatmentColumns } from '../../src/domain/inference/design.js';
import { logRankTest } from '../../src/domain/inference/log-rank.js';
import {
  clusterRobustEstimates,
  likelihoodRatioTest,
  logisticRegression,
} from '../../src/domain/inference/logistic.js';
import { mantelHaenszel, type TwoByTwo } from '../../src/domain/inference/mantel-haenszel.js';
import type { WaldEstimate } from '../../src/domain/inference/wald.js';
import { expectClose, readCsvVector, readJsonVector } from './reference-vectors.js';

interface Issue {
  thread: string;
  band: string;
  agreed: number;
  priorityAligned: number;
  resolved: number;
  days: number;
}

interface ExpectedCoefficient {
  coef: number;
  se: number;
  odds_ratio: number;
  ci_low: number;
  ci_high: number;
  p: number;
}

interface ExpectedFigures {
  logistic: { n: number; log_likelihood: number; coefficients: Record<string, ExpectedCoefficient> };
  logistic_cluster_robust_by_thread: { coefficients: Record<string, ExpectedCoefficient> };
  likelihood_ratio_tests: Record<'band' | 'agreed', { chi2: number; df: number; p: number }>;
  mantel_haenszel_by_band: {
    tables: Record<string, number[][]>;
    pooled_odds_ratio: number;
    ci_low: number;
    ci_high: number;
    test_null_p: number;
    breslow_day_homogeneity_p: number;
  };
  cox_breslow: {
    covariates: string[];
    hazard_ratios: Record<string, { hr: number; ci_low: number; ci_high: number; p: number }>;
  };
  log_rank_agreed: { chi2: number; df: number; p: number };
}

const EXPECTED = readJsonVector<ExpectedFigures>('alignment-a.expected.json');
const ISSUES: Issue[] = readCsvVector('alignment-a.csv').map((row) => ({
  thread: row.thread as string,
  band: row.band as string,
  agreed: Number(row.agreed),
  priorityAligned: Number(row.priority_aligned),
  resolved: Number(row.resolved),
  days: Number(row.days),
}));
const BANDS = ['moderate', 'high', 'extreme'];
const RELATIVE = 1e-6;
const RELATIVE_LOOSE = 1e-4;

const DESIGN = designMatrix(ISSUES, [
  numericColumn<Issue>('agreed', (i) => i.agreed),
  ...treatmentColumns<Issue>('band', (i) => i.band, BANDS, 'moderate'),
  numericColumn<Issue>('priority_aligned', (i) => i.priorityAligned),
]);
const RESOLVED = ISSUES.map((i) => i.resolved);

function byName(estimates: WaldEstimate[], name: string): WaldEstimate {
  const found = estimates.find((e) => e.name === name);
  if (!found) throw new Error(`no estimate named ${name}`);
  return found;
}

function expectCoefficients(
  estimates: WaldEstimate[],
  expected: Record<string, ExpectedCoefficient>,
  tolerance: number,
): void {
  expect(estimates.map((e) => e.name).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, figures] of Object.entries(expected)) {
    const estimate = byName(estimates, name);
    expectClose(estimate.coefficient, figures.coef, tolerance, `${name} coefficient`);
    expectClose(estimate.standardError, figures.se, tolerance, `${name} standard error`);
    expectClose(estimate.ratio, figures.odds_ratio, tolerance, `${name} odds ratio`);
    expectClose(estimate.lower, figures.ci_low, tolerance, `${name} lower 95%`);
    expectClose(estimate.upper, figures.ci_high, tolerance, `${name} upper 95%`);
    expectClose(estimate.p, figures.p, tolerance, `${name} p`);
  }
}

describe('the reference data', () => {
  it('has 495 issues in 260 threads', () => {
    expect(ISSUES).toHaveLength(EXPECTED.logistic.n);
    expect(ISSUES).toHaveLength(495);
    expect(new Set(ISSUES.map((i) => i.thread)).size).toBe(260);
  });
});

describe('logistic regression: resolved ~ agreed + band (reference moderate) + priority_aligned', () => {
  const fit = logisticRegression(DESIGN, RESOLVED);

  it('converges with no warning', () => {
    expect(fit.converged).toBe(true);
    expect(fit.warnings).toEqual([]);
    expect(fit.n).toBe(495);
  });

  it('gives statsmodels Logit log-likelihood, coefficients, standard errors, odds ratios, intervals and p-values', () => {
    expectClose(fit.logLikelihood, EXPECTED.logistic.log_likelihood, RELATIVE, 'log-likelihood');
    expectCoefficients(fit.estimates, EXPECTED.logistic.coefficients, RELATIVE);
  });

  it('gives the standard errors clustered on threads (sandwich, G/(G-1) x (N-1)/(N-K))', () => {
    const robust = clusterRobustEstimates(
      fit,
      DESIGN,
      RESOLVED,
      ISSUES.map((i) => i.thread),
    );
    expect(robust?.clusters).toBe(260);
    expectCoefficients(
      robust?.estimates ?? [],
      EXPECTED.logistic_cluster_robust_by_thread.coefficients,
      RELATIVE_LOOSE,
    );
  });

  it.each([
    { term: 'band', drop: ['band_high', 'band_extreme'] },
    { term: 'agreed', drop: ['agreed'] },
  ] as const)('tests $term by likelihood ratio against the model without it', ({ term, drop }) => {
    const reduced = logisticRegression(dropColumns(DESIGN, drop), RESOLVED);
    const test = likelihoodRatioTest(fit, reduced);
    const expected = EXPECTED.likelihood_ratio_tests[term];
    expect(test.df).toBe(expected.df);
    expectClose(test.chi2, expected.chi2, RELATIVE, `${term} LR chi2`);
    expectClose(test.p, expected.p, RELATIVE, `${term} LR p`);
  });
});

describe('Mantel-Haenszel odds ratio of agreement, stratified by band', () => {
  const tables: TwoByTwo[] = BANDS.map((band) => {
    const inBand = ISSUES.filter((i) => i.band === band);
    const count = (agreed: number, resolved: number) =>
      inBand.filter((i) => i.agreed === agreed && i.resolved === resolved).length;
    return [
      [count(1, 1), count(1, 0)],
      [count(0, 1), count(0, 0)],
    ];
  });
  const result = mantelHaenszel(tables);
  const expected = EXPECTED.mantel_haenszel_by_band;

  it('builds the same tables (rows agreed yes/no, columns resolved yes/no)', () => {
    expect(tables).toEqual(BANDS.map((band) => expected.tables[band]));
  });

  it('gives the pooled odds ratio with the Robins-Breslow-Greenland interval', () => {
    expect(result.strataUsed).toBe(3);
    expect(result.warnings).toEqual([]);
    expectClose(result.pooledOddsRatio as number, expected.pooled_odds_ratio, RELATIVE, 'pooled OR');
    expectClose(result.lower as number, expected.ci_low, RELATIVE, 'pooled OR lower');
    expectClose(result.upper as number, expected.ci_high, RELATIVE, 'pooled OR upper');
  });

  it('rejects a common odds ratio of 1 (statsmodels rounds this p to 0 by taking 1 - cdf)', () => {
    expect(expected.test_null_p).toBe(0);
    expect(result.test?.continuityCorrection).toBe(false);
    expect(result.test?.p).toBeLessThan(1e-15);
    expect(result.test?.chi2).toBeGreaterThan(60);
  });

  it('gives the Breslow-Day homogeneity p-value', () => {
    expect(result.breslowDay?.df).toBe(2);
    expectClose(result.breslowDay?.p as number, expected.breslow_day_homogeneity_p, RELATIVE, 'Breslow-Day p');
  });
});

describe('time to resolution', () => {
  const observations = ISSUES.map((i) => ({ time: i.days, event: i.resolved === 1 }));

  it('gives the Cox (Breslow ties) hazard ratios, intervals and p-values', () => {
    const design = designMatrix(
      ISSUES,
      [
        numericColumn<Issue>('agreed', (i) => i.agreed),
        numericColumn<Issue>('priority_aligned', (i) => i.priorityAligned),
        ...treatmentColumns<Issue>('band', (i) => i.band, BANDS, 'moderate'),
      ],
      false,
    );
    const fit = coxRegression(design, observations);
    expect(fit.converged).toBe(true);
    expect(fit.warnings).toEqual([]);
    expect(fit.names).toEqual(EXPECTED.cox_breslow.covariates);
    for (const [name, figures] of Object.entries(EXPECTED.cox_breslow.hazard_ratios)) {
      const estimate = byName(fit.estimates, name);
      expectClose(estimate.ratio, figures.hr, RELATIVE_LOOSE, `${name} HR`);
      expectClose(estimate.lower, figures.ci_low, RELATIVE_LOOSE, `${name} HR lower`);
      expectClose(estimate.upper, figures.ci_high, RELATIVE_LOOSE, `${name} HR upper`);
      expectClose(estimate.p, figures.p, RELATIVE_LOOSE, `${name} p`);
    }
  });

  it('gives the log-rank chi-square, agreed against not agreed', () => {
    const result = logRankTest(ISSUES.map((i) => ({ time: i.days, event: i.resolved === 1, inGroup: i.agreed === 1 })));
    expect(result.df).toBe(EXPECTED.log_rank_agreed.df);
    expectClose(result.chi2 as number, EXPECTED.log_rank_agreed.chi2, RELATIVE, 'log-rank chi2');
    // The reference p is 0 (1 - cdf underflows); the accurate tail is about 1e-24.
    expect(EXPECTED.log_rank_agreed.p).toBe(0);
    expect(result.p).toBeLessThan(1e-15);
    expect(result.p).toBeGreaterThan(0);
    expect(result.warnings).toEqual([]);
  });
});
