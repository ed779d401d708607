/**
 * Logistic regression fitted by Newton-Raphson (iteratively reweighted least squares), with
 * model-based and cluster-robust standard errors and likelihood-ratio tests. Checked against
 * statsmodels 0.13 `Logit` (test/unit/inference-reference.test.ts).
 */
import type { Design } from './design.js';
import { chiSquareSurvival } from './distributions.js';
import {
  addOuter,
  dot,
  invertSymmetricPositiveDefinite,
  matrixProduct,
  matrixVector,
  scaleMatrix,
  zeros,
  type Matrix,
} from './matrix.js';
import { waldEstimates, type ModelWarning, type WaldEstimate } from './wald.js';
import { binaryColumnWarnings, DEFAULT_MIN_GROUP_SIZE } from './guards.js';

export interface LogisticOptions {
  maxIterations?: number;
  /** A group (a 0/1 column's 0s or 1s) smaller than this is flagged. */
  minGroupSize?: number;
}

export interface LogisticFit {
  n: number;
  names: string[];
  coefficients: number[];
  /** Model-based (inverse information) standard errors, z, p and odds ratios with 95% intervals. */
  estimates: WaldEstimate[];
  covariance: Matrix | null;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  warnings: ModelWarning[];
}

const DEFAULT_MAX_ITERATIONS = 100;
/** Fitted probabilities this close to 0 or 1 mean the data (quasi-)separate the outcome. */
const SEPARATION_EPSILON = 1e-8;

/** log(1 + e^x) without overflow. */
function log1pExp(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function logisticLogLikelihood(rows: number[][], outcome: readonly number[], beta: readonly number[]): number {
  return rows.reduce((sum, row, i) => {
    const eta = dot(row, beta);
    return sum + (outcome[i] as number) * eta - log1pExp(eta);
  }, 0);
}

function probability(eta: number): number {
  return 1 / (1 + Math.exp(-eta));
}

/** Score vector and information matrix X'WX at beta. */
function scoreAndInformation(rows: number[][], outcome: readonly number[], beta: readonly number[]) {
  const k = beta.length;
  const score = new Array<number>(k).fill(0);
  const information = zeros(k, k);
  rows.forEach((row, i) => {
    const p = probability(dot(row, beta));
    const residual = (outcome[i] as number) - p;
    row.forEach((x, j) => (score[j] = (score[j] as number) + x * residual));
    addOuter(information, row, row, p * (1 - p));
  });
  return { score, information };
}

/** Whether some fitted probability is (numerically) 0 or 1. */
function hasCertainFits(rows: number[][], beta: readonly number[]): boolean {
  return rows.some((row) => {
    const p = probability(dot(row, beta));
    return p < SEPARATION_EPSILON || p > 1 - SEPARATION_EPSILON;
  });
}

function validate(design: Design, outcome: readonly number[]): void {
  if (design.rows.length !== outcome.length) {
    throw new RangeError(`design has ${design.rows.length} rows but the outcome has ${outcome.length}`);
  }
  if (outcome.some((y) => y !== 0 && y !== 1)) throw new RangeError('the outcome must be 0 or 1');
}

/** Fits P(outcome = 1) = 1 / (1 + exp(-x'beta)). Problems come back as warnings, not exceptions. */
export function logisticRegression(
  design: Design,
  outcome: readonly number[],
  options: LogisticOptions = {},
): LogisticFit {
  validate(design, outcome);
  const { rows, names } = design;
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const warnings = binaryColumnWarnings(design, outcome, options.minGroupSize ?? DEFAULT_MIN_GROUP_SIZE);
  let beta = new Array<number>(names.length).fill(0);
  let logLikelihood = logisticLogLikelihood(rows, outcome, beta);
  let converged = false;
  let iterations = 0;

  while (iterations < maxIterations && !converged) {
    iterations += 1;
    const { score, information } = scoreAndInformation(rows, outcome, beta);
    const stepCovariance = invertSymmetricPositiveDefinite(information);
    if (stepCovariance === null) break;
    const step = matrixVector(stepCovariance, score);
    // Halve the Newton step while it lowers the likelihood (rare for this concave problem).
    let scale = 1;
    let next = beta.map((b, j) => b + (step[j] as number));
    let nextLogLikelihood = logisticLogLikelihood(rows, outcome, next);
    while (nextLogLikelihood < logLikelihood - 1e-12 && scale > 1e-6) {
      scale /= 2;
      next = beta.map((b, j) => b + scale * (step[j] as number));
      nextLogLikelihood = logisticLogLikelihood(rows, outcome, next);
    }
    const largestStep = Math.max(...step.map((s) => Math.abs(s * scale)));
    converged = largestStep < 1e-10 && Math.abs(nextLogLikelihood - logLikelihood) < 1e-10;
    beta = next;
    logLikelihood = nextLogLikelihood;
  }

  // Standard errors at the final estimate.
  const covariance = invertSymmetricPositiveDefinite(scoreAndInformation(rows, outcome, beta).information);
  if (covariance === null) {
    warnings.push({
      code: 'singular',
      message: 'The information matrix is singular: some coefficients are not identified.',
    });
  } else if (!converged) {
    warnings.push({ code: 'not_converged', message: `The fit did not converge in ${iterations} iterations.` });
  }
  if (hasCertainFits(rows, beta)) {
    warnings.push({
      code: 'separation',
      message:
        'Some fitted probabilities are 0 or 1: the predictors (quasi-)separate the outcome, so estimates are unreliable.',
    });
  }
  return {
    n: rows.length,
    names: [...names],
    coefficients: beta,
    estimates: covariance === null ? [] : waldEstimates(names, beta, covariance),
    covariance,
    logLikelihood,
    iterations,
    converged,
    warnings,
  };
}

/**
 * Standard errors that allow observations of the same cluster (here, issues of one thread) to be
 * correlated: the sandwich H^-1 (sum over clusters of s_g s_g') H^-1, with s_g the cluster's summed
 * score, times statsmodels' small-sample factor G/(G-1) x (N-1)/(N-K).
 */
export function clusterRobustEstimates(
  fit: LogisticFit,
  design: Design,
  outcome: readonly number[],
  clusters: readonly (string | number)[],
): { clusters: number; estimates: WaldEstimate[]; covariance: Matrix } | null {
  if (clusters.length !== design.rows.length) {
    throw new RangeError(`${clusters.length} cluster labels for ${design.rows.length} rows`);
  }
  if (fit.covariance === null) return null;
  const k = fit.names.length;
  const scores = new Map<string | number, number[]>();
  design.rows.forEach((row, i) => {
    const residual = (outcome[i] as number) - probability(dot(row, fit.coefficients));
    const sum = scores.get(clusters[i] as string | number) ?? new Array<number>(k).fill(0);
    row.forEach((x, j) => (sum[j] = (sum[j] as number) + x * residual));
    scores.set(clusters[i] as string | number, sum);
  });
  const g = scores.size;
  const n = design.rows.length;
  if (g < 2 || n <= k) return null;
  const meat = zeros(k, k);
  for (const s of scores.values()) addOuter(meat, s, s);
  const sandwich = matrixProduct(matrixProduct(fit.covariance, meat), fit.covariance);
  const covariance = scaleMatrix(sandwich, (g / (g - 1)) * ((n - 1) / (n - k)));
  return { clusters: g, estimates: waldEstimates(fit.names, fit.coefficients, covariance), covariance };
}

export interface LikelihoodRatioTest {
  chi2: number;
  df: number;
  p: number;
}

/** Twice the gain in log-likelihood of `full` over the nested `reduced` model, on chi-square(df). */
export function likelihoodRatioTest(
  full: Pick<LogisticFit, 'logLikelihood' | 'names'>,
  reduced: Pick<LogisticFit, 'logLikelihood' | 'names'>,
): LikelihoodRatioTest {
  const df = full.names.length - reduced.names.length;
  if (df <= 0 || reduced.names.some((name) => !full.names.includes(name))) {
    throw new RangeError('the reduced model must be nested in the full one, with fewer coefficients');
  }
  const chi2 = Math.max(0, 2 * (full.logLikelihood - reduced.logLikelihood));
  return { chi2, df, p: chiSquareSurvival(chi2, df) };
}
