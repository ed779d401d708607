/**
 * Wald summaries shared by the models: standard error, z, two-sided p and a 95% interval on the
 * ratio scale (exp of the coefficient: an odds ratio for logistic regression, a hazard ratio for
 * Cox regression). Also the warnings a model returns instead of throwing.
 */
import { normalTwoSidedP, Z_95 } from './distributions.js';
import type { Matrix } from './matrix.js';

export type ModelWarningCode =
  'not_converged' | 'separation' | 'singular' | 'small_group' | 'few_events' | 'stratum_skipped';

/** Something that makes a figure unreliable; the figures are still returned for the reader to judge. */
export interface ModelWarning {
  code: ModelWarningCode;
  message: string;
}

export interface WaldEstimate {
  name: string;
  coefficient: number;
  standardError: number;
  z: number;
  p: number;
  /** exp(coefficient): the odds ratio or hazard ratio. */
  ratio: number;
  /** 95% Wald interval of the ratio: exp(coefficient -/+ 1.96 x standard error). */
  lower: number;
  upper: number;
}

export function waldEstimates(
  names: readonly string[],
  coefficients: readonly number[],
  covariance: Matrix,
): WaldEstimate[] {
  return names.map((name, i) => {
    const coefficient = coefficients[i] as number;
    const standardError = Math.sqrt(covariance[i]?.[i] as number);
    const z = coefficient / standardError;
    return {
      name,
      coefficient,
      standardError,
      z,
      p: normalTwoSidedP(z),
      ratio: Math.exp(coefficient),
      lower: Math.exp(coefficient - Z_95 * standardError),
      upper: Math.exp(coefficient + Z_95 * standardError),
    };
  });
}
