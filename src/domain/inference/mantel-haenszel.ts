/**
 * Mantel-Haenszel pooled odds ratio over strata of 2x2 tables, with the Robins-Breslow-Greenland
 * interval, the Mantel-Haenszel test of a common odds ratio of 1 and the Breslow-Day test that the
 * strata share one odds ratio. Matches statsmodels 0.13 `StratifiedTable` (`oddsratio_pooled`,
 * `oddsratio_pooled_confint`, `test_null_odds(correction=False)`, `test_equal_odds(adjust=False)`).
 */
import { chiSquareSurvival, Z_95 } from './distributions.js';
import type { ModelWarning } from './wald.js';

/** [[a, b], [c, d]]: rows exposed yes / no, columns outcome yes / no. */
export type TwoByTwo = readonly [readonly [number, number], readonly [number, number]];

export interface ChiSquareTest {
  chi2: number;
  df: number;
  p: number;
}

export interface MantelHaenszelResult {
  /** Strata that carried information (both rows and both columns non-empty). */
  strataUsed: number;
  pooledOddsRatio: number | null;
  lower: number | null;
  upper: number | null;
  /** Robins-Breslow-Greenland standard error of the log pooled odds ratio. */
  logOddsRatioStandardError: number | null;
  /** Mantel-Haenszel chi-square test of a common odds ratio of 1 (df 1). */
  test: (ChiSquareTest & { continuityCorrection: boolean }) | null;
  /** Breslow-Day test of homogeneity (df = strata - 1), without Tarone's adjustment. */
  breslowDay: ChiSquareTest | null;
  warnings: ModelWarning[];
}

export interface MantelHaenszelOptions {
  /** Subtract 0.5 from |O - E| in the test of odds ratio 1 (statsmodels' default is not to). */
  continuityCorrection?: boolean;
  /** A stratum with fewer observations than this is flagged. */
  minStratumSize?: number;
}

interface Stratum {
  a: number;
  b: number;
  c: number;
  d: number;
  n: number;
}

function usableStrata(tables: readonly TwoByTwo[], minStratumSize: number, warnings: ModelWarning[]): Stratum[] {
  return tables.flatMap((table, k) => {
    const [[a, b], [c, d]] = table;
    for (const cell of [a, b, c, d]) {
      if (!Number.isInteger(cell) || cell < 0)
        throw new RangeError(`stratum ${k}: counts must be non-negative integers`);
    }
    const n = a + b + c + d;
    if (a + b === 0 || c + d === 0 || a + c === 0 || b + d === 0 || n < 2) {
      const message = `Stratum ${k} has an empty row or column and tells nothing about the association.`;
      warnings.push({ code: 'stratum_skipped', message });
      return [];
    }
    if (n < minStratumSize) {
      warnings.push({
        code: 'small_group',
        message: `Stratum ${k} has ${n} observations (fewer than ${minStratumSize}).`,
      });
    }
    return [{ a, b, c, d, n }];
  });
}

/** The first cell's expected count given the stratum's margins and a common odds ratio. */
function expectedFirstCell({ a, b, c, n }: Stratum, oddsRatio: number): number {
  const row = a + b;
  const column = a + c;
  const low = Math.max(0, row + column - n);
  const high = Math.min(row, column);
  // x (n - row - column + x) = oddsRatio (row - x)(column - x): a quadratic in x.
  const qa = 1 - oddsRatio;
  const qb = n - row - column + oddsRatio * (row + column);
  const qc = -oddsRatio * row * column;
  const q = -(qb + Math.sign(qb || 1) * Math.sqrt(qb * qb - 4 * qa * qc)) / 2;
  const roots = [qc / q, qa === 0 ? Number.NaN : q / qa];
  const inRange = roots.find((x) => x >= low - 1e-9 && x <= high + 1e-9);
  return inRange ?? (roots[0] as number);
}

function breslowDay(strata: Stratum[], pooled: number): ChiSquareTest | null {
  if (strata.length < 2) return null;
  let chi2 = 0;
  for (const stratum of strata) {
    const { a, b, c, n } = stratum;
    const x = expectedFirstCell(stratum, pooled);
    const variance = 1 / (1 / x + 1 / (a + b - x) + 1 / (a + c - x) + 1 / (n - (a + b) - (a + c) + x));
    chi2 += (a - x) ** 2 / variance;
  }
  const df = strata.length - 1;
  return { chi2, df, p: chiSquareSurvival(chi2, df) };
}

function testOfOne(strata: Stratum[], continuityCorrection: boolean): MantelHaenszelResult['test'] {
  let observed = 0;
  let expected = 0;
  let variance = 0;
  for (const { a, b, c, d, n } of strata) {
    observed += a;
    expected += ((a + b) * (a + c)) / n;
    variance += ((a + b) * (c + d) * (a + c) * (b + d)) / (n * n * (n - 1));
  }
  if (!(variance > 0)) return null;
  const difference = Math.max(0, Math.abs(observed - expected) - (continuityCorrection ? 0.5 : 0));
  const chi2 = (difference * difference) / variance;
  return { chi2, df: 1, p: chiSquareSurvival(chi2, 1), continuityCorrection };
}

export function mantelHaenszel(tables: readonly TwoByTwo[], options: MantelHaenszelOptions = {}): MantelHaenszelResult {
  const warnings: ModelWarning[] = [];
  const strata = usableStrata(tables, options.minStratumSize ?? 10, warnings);
  // R = ad/n and S = bc/n per stratum; P = (a+d)/n and Q = (b+c)/n weight the RBG variance.
  let sumR = 0;
  let sumS = 0;
  let sumPR = 0;
  let sumPSQR = 0;
  let sumQS = 0;
  for (const { a, b, c, d, n } of strata) {
    const [r, s, p, q] = [(a * d) / n, (b * c) / n, (a + d) / n, (b + c) / n];
    sumR += r;
    sumS += s;
    sumPR += p * r;
    sumPSQR += p * s + q * r;
    sumQS += q * s;
  }
  const test = testOfOne(strata, options.continuityCorrection ?? false);
  if (!(sumR > 0 && sumS > 0)) {
    const message = 'The pooled odds ratio is 0 or infinite: an outcome never occurs in one row of every stratum.';
    warnings.push({ code: 'separation', message });
    return {
      strataUsed: strata.length,
      pooledOddsRatio: null,
      lower: null,
      upper: null,
      logOddsRatioStandardError: null,
      test,
      breslowDay: null,
      warnings,
    };
  }
  const pooled = sumR / sumS;
  const se = Math.sqrt(sumPR / (2 * sumR * sumR) + sumPSQR / (2 * sumR * sumS) + sumQS / (2 * sumS * sumS));
  return {
    strataUsed: strata.length,
    pooledOddsRatio: pooled,
    lower: Math.exp(Math.log(pooled) - Z_95 * se),
    upper: Math.exp(Math.log(pooled) + Z_95 * se),
    logOddsRatioStandardError: se,
    test,
    breslowDay: breslowDay(strata, pooled),
    warnings,
  };
}
