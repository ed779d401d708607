/**
 * NHS 5x5 risk matrix (NPSA 2008, "A risk matrix for risk managers").
 *
 * Consequence: 1 negligible, 2 minor, 3 moderate, 4 major, 5 catastrophic.
 * Likelihood:  1 rare, 2 unlikely, 3 possible, 4 likely, 5 almost certain.
 * Score = consequence x likelihood, so only 1,2,3,4,5,6,8,9,10,12,15,16,20,25 occur.
 *
 * Pure functions, no I/O.
 */

export const RISK_BANDS = ['low', 'moderate', 'high', 'extreme'] as const;
export type RiskBand = (typeof RISK_BANDS)[number];

/** Minimum score (inclusive) at which each band starts; anything below `moderate` is low. */
export interface BandThresholds {
  moderate: number;
  high: number;
  extreme: number;
}

/** Published NPSA bands: 1-3 low, 4-6 moderate, 8-12 high, 15-25 extreme. */
export const DEFAULT_BAND_THRESHOLDS: Readonly<BandThresholds> = Object.freeze({
  moderate: 4,
  high: 8,
  extreme: 15,
});

const MIN_RATING = 1;
const MAX_RATING = 5;
const MIN_SCORE = MIN_RATING * MIN_RATING;
const MAX_SCORE = MAX_RATING * MAX_RATING;
// A threshold of 1 would make "low" impossible, so the lowest usable threshold is 2.
const MIN_THRESHOLD = 2;

function assertRating(name: string, value: number): void {
  if (!Number.isInteger(value) || value < MIN_RATING || value > MAX_RATING) {
    throw new RangeError(`${name} must be an integer from ${MIN_RATING} to ${MAX_RATING}, got ${String(value)}`);
  }
}

/** Risk score for a consequence and likelihood rating (each an integer 1..5). */
export function riskScore(consequence: number, likelihood: number): number {
  assertRating('consequence', consequence);
  assertRating('likelihood', likelihood);
  return consequence * likelihood;
}

/**
 * Problem description when thresholds are unusable, else null.
 * Thresholds must be integers in 2..25 and strictly increasing so every band is reachable.
 */
export function validateBandThresholds(thresholds: BandThresholds): string | null {
  const entries: Array<[keyof BandThresholds, number]> = [
    ['moderate', thresholds.moderate],
    ['high', thresholds.high],
    ['extreme', thresholds.extreme],
  ];
  for (const [name, value] of entries) {
    if (!Number.isInteger(value) || value < MIN_THRESHOLD || value > MAX_SCORE) {
      return `${name} threshold must be an integer from ${MIN_THRESHOLD} to ${MAX_SCORE}, got ${String(value)}`;
    }
  }
  if (!(thresholds.moderate < thresholds.high && thresholds.high < thresholds.extreme)) {
    return 'thresholds must be strictly increasing: moderate < high < extreme';
  }
  return null;
}

/**
 * Band for a score (integer 1..25). Scores that are not products of two ratings
 * (e.g. 7) are accepted, because custom thresholds may sit between products.
 */
export function riskBand(score: number, thresholds: BandThresholds = DEFAULT_BAND_THRESHOLDS): RiskBand {
  if (!Number.isInteger(score) || score < MIN_SCORE || score > MAX_SCORE) {
    throw new RangeError(`score must be an integer from ${MIN_SCORE} to ${MAX_SCORE}, got ${String(score)}`);
  }
  const problem = validateBandThresholds(thresholds);
  if (problem !== null) throw new RangeError(problem);
  if (score >= thresholds.extreme) return 'extreme';
  if (score >= thresholds.high) return 'high';
  if (score >= thresholds.moderate) return 'moderate';
  return 'low';
}

/** Position of a band in severity order: low 0, moderate 1, high 2, extreme 3. */
export function bandRank(band: RiskBand): number {
  const rank = RISK_BANDS.indexOf(band);
  // Guards against untyped input (e.g. parsed JSON) silently ranking as -1.
  if (rank < 0) throw new RangeError(`unknown risk band: ${String(band)}`);
  return rank;
}

/** True when `band` is as severe as `min` or more. */
export function bandAtLeast(band: RiskBand, min: RiskBand): boolean {
  return bandRank(band) >= bandRank(min);
}
