/**
 * Cox proportional hazards regression by Newton-Raphson on the partial likelihood, with Breslow's
 * handling of tied times. Checked against statsmodels 0.13 `PHReg(ties="breslow")`.
 */
import { INTERCEPT, type Design } from './design.js';
import { addOuter, dot, invertSymmetricPositiveDefinite, matrixVector, zeros, type Matrix } from './matrix.js';
import { tiedBlocksLatestFirst, validateTimes, type TimeToEvent } from './survival-data.js';
import { waldEstimates, type ModelWarning, type WaldEstimate } from './wald.js';
import { DEFAULT_MIN_GROUP_SIZE, MIN_EVENTS_PER_COEFFICIENT } from './guards.js';

export interface CoxFit {
  n: number;
  events: number;
  names: string[];
  coefficients: number[];
  /** Hazard ratios (`ratio`) with 95% Wald intervals and p-values. */
  estimates: WaldEstimate[];
  covariance: Matrix | null;
  logPartialLikelihood: number;
  iterations: number;
  converged: boolean;
  warnings: ModelWarning[];
}

const MAX_ITERATIONS = 100;
/** A hazard ratio beyond e^15 either way means the partial likelihood has no maximum (monotone). */
const DIVERGENT_COEFFICIENT = 15;

interface PartialLikelihood {
  value: number;
  gradient: number[];
  information: Matrix;
}

function partialLikelihood(
  rows: number[][],
  observations: readonly TimeToEvent[],
  blocks: number[][],
  beta: number[],
): PartialLikelihood {
  const k = beta.length;
  const eta = rows.map((row) => dot(row, beta));
  const shift = Math.max(...eta); // exp(eta - shift) cannot overflow; the ratios are unchanged.
  let s0 = 0;
  const s1 = new Array<number>(k).fill(0);
  const s2 = zeros(k, k);
  let value = 0;
  const gradient = new Array<number>(k).fill(0);
  const information = zeros(k, k);
  for (const block of blocks) {
    for (const i of block) {
      const row = rows[i] as number[];
      const w = Math.exp((eta[i] as number) - shift);
      s0 += w;
      row.forEach((x, j) => (s1[j] = (s1[j] as number) + w * x));
      addOuter(s2, row, row, w);
    }
    const events = block.filter((i) => observations[i]?.event);
    if (events.length === 0) continue;
    const d = events.length;
    const mean = s1.map((v) => v / s0);
    value += events.reduce((sum, i) => sum + (eta[i] as number), 0) - d * (shift + Math.log(s0));
    for (const i of events) (rows[i] as number[]).forEach((x, j) => (gradient[j] = (gradient[j] as number) + x));
    mean.forEach((m, j) => (gradient[j] = (gradient[j] as number) - d * m));
    addOuter(information, mean, mean, -d);
    s2.forEach((row, a) => {
      const target = information[a] as number[];
      row.forEach((v, b) => (target[b] = (target[b] as number) + (d * v) / s0));
    });
  }
  return { value, gradient, information };
}

/** The checks made before fitting (exported so a caller can decline to fit when they fire). */
export function coxGuards(design: Design, observations: readonly TimeToEvent[], minGroupSize: number): ModelWarning[] {
  const warnings: ModelWarning[] = [];
  const events = observations.filter((o) => o.event).length;
  if (events < MIN_EVENTS_PER_COEFFICIENT * design.names.length) {
    const message = `${events} events for ${design.names.length} coefficients (fewer than ${MIN_EVENTS_PER_COEFFICIENT} each).`;
    warnings.push({ code: 'few_events', message });
  }
  design.names.forEach((name, j) => {
    if (!design.rows.every((row) => row[j] === 0 || row[j] === 1)) return;
    for (const level of [0, 1]) {
      const members = observations.filter((_, i) => design.rows[i]?.[j] === level);
      if (members.length < minGroupSize) {
        warnings.push({
          code: 'small_group',
          message: `${name} = ${level} has ${members.length} observations (fewer than ${minGroupSize}).`,
        });
      }
      if (members.length > 0 && !members.some((o) => o.event)) {
        warnings.push({
          code: 'separation',
          message: `No event among ${name} = ${level}: its hazard ratio is 0 or infinite.`,
        });
      }
    }
  });
  return warnings;
}

/** Fits the hazard h(t | x) = h0(t) exp(x'beta). The design must not hold an intercept. */
export function coxRegression(
  design: Design,
  observations: readonly TimeToEvent[],
  options: { minGroupSize?: number } = {},
): CoxFit {
  validateTimes(observations);
  if (design.rows.length !== observations.length) throw new RangeError('one observation per design row is needed');
  if (design.names.includes(INTERCEPT))
    throw new RangeError('a Cox model has no intercept: the baseline hazard absorbs it');
  const warnings = coxGuards(design, observations, options.minGroupSize ?? DEFAULT_MIN_GROUP_SIZE);
  const blocks = tiedBlocksLatestFirst(observations);
  let beta = new Array<number>(design.names.length).fill(0);
  let current = partialLikelihood(design.rows, observations, blocks, beta);
  let converged = false;
  let iterations = 0;
  while (iterations < MAX_ITERATIONS && !converged) {
    iterations += 1;
    const inverse = invertSymmetricPositiveDefinite(current.information);
    if (inverse === null) break;
    const step = matrixVector(inverse, current.gradient);
    let scale = 1;
    let next = beta.map((b, j) => b + (step[j] as number));
    let candidate = partialLikelihood(design.rows, observations, blocks, next);
    while (candidate.value < current.value - 1e-12 && scale > 1e-6) {
      scale /= 2;
      next = beta.map((b, j) => b + scale * (step[j] as number));
      candidate = partialLikelihood(design.rows, observations, blocks, next);
    }
    const largestStep = Math.max(...step.map((s) => Math.abs(s * scale)));
    converged = largestStep < 1e-10 && Math.abs(candidate.value - current.value) < 1e-10;
    beta = next;
    current = candidate;
  }
  const covariance = invertSymmetricPositiveDefinite(current.information);
  if (covariance === null) {
    warnings.push({
      code: 'singular',
      message: 'The information matrix is singular: some coefficients are not identified.',
    });
  } else if (!converged)
    warnings.push({ code: 'not_converged', message: `The fit did not converge in ${iterations} iterations.` });
  if (beta.some((b) => Math.abs(b) > DIVERGENT_COEFFICIENT)) {
    warnings.push({
      code: 'separation',
      message: 'A coefficient is diverging: the partial likelihood has no finite maximum.',
    });
  }
  return {
    n: observations.length,
    events: observations.filter((o) => o.event).length,
    names: [...design.names],
    coefficients: beta,
    estimates: covariance === null ? [] : waldEstimates(design.names, beta, covariance),
    covariance,
    logPartialLikelihood: current.value,
    iterations,
    converged,
    warnings,
  };
}
