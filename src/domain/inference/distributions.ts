/**
 * Tail probabilities for the tests in this folder. The special functions come from stdlib
 * (`@stdlib/math-base-special-*`), whose upper incomplete gamma and complementary error function
 * stay accurate far into the tails: a p-value of 1e-17 is computed, not rounded to 0 by `1 - cdf`.
 */
import erfc from '@stdlib/math-base-special-erfc';
import gammainc from '@stdlib/math-base-special-gammainc';

export { Z_95 } from '../statistics.js';

/** P(X >= x) for X chi-square with `df` degrees of freedom (the p-value of a chi-square test). */
export function chiSquareSurvival(x: number, df: number): number {
  if (!Number.isFinite(x) || Number.isNaN(df) || df <= 0) {
    throw new RangeError(`chi-square survival needs a finite statistic and df > 0, got ${x}, ${df}`);
  }
  if (x <= 0) return 1;
  // Regularized upper incomplete gamma Q(df/2, x/2).
  return gammainc(x / 2, df / 2, true, true);
}

/** Two-sided p-value of a standard normal statistic: P(|Z| >= |z|). */
export function normalTwoSidedP(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('normal p-value of NaN');
  return erfc(Math.abs(z) / Math.SQRT2);
}
