/**
 * Log-rank test comparing time to event between two groups (Mantel's hypergeometric variance,
 * which allows tied times). Checked against statsmodels 0.13 `survdiff`.
 */
import { chiSquareSurvival } from './distributions.js';
import { tiedBlocksLatestFirst, validateTimes, type TimeToEvent } from './survival-data.js';
import type { ModelWarning } from './wald.js';

export interface LogRankResult {
  /** Events seen and expected (under equal hazards) in the first group (`inGroup` true). */
  observed: number;
  expected: number;
  variance: number;
  chi2: number | null;
  df: 1;
  p: number | null;
  warnings: ModelWarning[];
}

export function logRankTest(
  observations: readonly (TimeToEvent & { inGroup: boolean })[],
  options: { minGroupSize?: number } = {},
): LogRankResult {
  validateTimes(observations);
  const warnings: ModelWarning[] = [];
  const minGroupSize = options.minGroupSize ?? 10;
  const inGroup = observations.filter((o) => o.inGroup).length;
  for (const [label, size] of [
    ['first', inGroup],
    ['second', observations.length - inGroup],
  ] as const) {
    if (size < minGroupSize) {
      warnings.push({
        code: 'small_group',
        message: `The ${label} group has ${size} observations (fewer than ${minGroupSize}).`,
      });
    }
  }
  // Walk times latest first so the risk sets are running totals, then sum over event times.
  let atRisk = 0;
  let atRiskInGroup = 0;
  let observed = 0;
  let expected = 0;
  let variance = 0;
  for (const block of tiedBlocksLatestFirst(observations)) {
    atRisk += block.length;
    atRiskInGroup += block.filter((i) => observations[i]?.inGroup).length;
    const events = block.filter((i) => observations[i]?.event);
    const d = events.length;
    if (d === 0) continue;
    const share = atRiskInGroup / atRisk;
    observed += events.filter((i) => observations[i]?.inGroup).length;
    expected += d * share;
    if (atRisk > 1) variance += (d * share * (1 - share) * (atRisk - d)) / (atRisk - 1);
  }
  if (!(variance > 0)) {
    warnings.push({
      code: 'small_group',
      message: 'No event time has both groups at risk: the groups cannot be compared.',
    });
    return { observed, expected, variance, chi2: null, df: 1, p: null, warnings };
  }
  const chi2 = (observed - expected) ** 2 / variance;
  return { observed, expected, variance, chi2, df: 1, p: chiSquareSurvival(chi2, 1), warnings };
}
