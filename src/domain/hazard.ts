/**
 * HFMEA-style hazard scoring of open threats, for choosing quality-improvement targets
 * (domain reference, section 4). Pure, no I/O. docs/reports.md explains the choices.
 *
 *   severity    1..4  from the thread's worst 5x5 consequence
 *   probability 1..4  from how often the thread was OBSERVED (raised) in the report window
 *   hazardScore = severity x probability              (1..16, the HFMEA hazard score)
 *   ageBonus    0..4  one point per full 13 weeks open, at most 4 (a year or more)
 *   rankScore   = hazardScore + ageBonus              (1..20, the order of the ranking)
 *
 * The HFMEA decision tree sends a hazard scoring 8 or more on to action (`proceedToAction`),
 * unless an effective control exists; briefing data cannot tell that, so the flag is advisory.
 */

export type HfmeaSeverity = 1 | 2 | 3 | 4;
export type HfmeaProbability = 1 | 2 | 3 | 4;

export const SEVERITY_LABELS: Record<HfmeaSeverity, string> = {
  1: 'minor',
  2: 'moderate',
  3: 'major',
  4: 'catastrophic',
};
export const PROBABILITY_LABELS: Record<HfmeaProbability, string> = {
  1: 'remote',
  2: 'uncommon',
  3: 'occasional',
  4: 'frequent',
};

/** HFMEA: a hazard score at or above this proceeds to action. */
export const ACTION_THRESHOLD = 8;
/** Recurrence is measured per 28 days (four weeks of briefings). */
export const RECURRENCE_PERIOD_DAYS = 28;
/** A window shorter than this is treated as this long, so one raising in a week is not "frequent". */
export const MIN_WINDOW_DAYS = RECURRENCE_PERIOD_DAYS;
/** One age point per full 13 weeks open. */
export const AGE_STEP_DAYS = 91;
export const MAX_AGE_BONUS = 4;

/**
 * 5x5 consequence (1 negligible, 2 minor, 3 moderate, 4 major, 5 catastrophic) to HFMEA
 * severity (1 minor, 2 moderate, 3 major, 4 catastrophic): HFMEA's "minor" covers both no and
 * minor injury, so negligible and minor share it; the other grades keep their names.
 */
export function severityFromConsequence(consequence: number): HfmeaSeverity {
  if (!Number.isInteger(consequence) || consequence < 1 || consequence > 5) {
    throw new RangeError(`consequence must be an integer from 1 to 5, got ${String(consequence)}`);
  }
  return consequence <= 2 ? 1 : ((consequence - 1) as HfmeaSeverity);
}

/**
 * Observed recurrence to HFMEA probability. HFMEA rates process failures on a scale of years;
 * a thread raised at daily briefings is itself an observed occurrence, so the four ranks are set
 * on the cadence briefings run at. With r = raisings per 28 days over the window (at least 28 days):
 *   r >= 4     (weekly or more often)   4 frequent
 *   r >= 1     (about monthly or more)  3 occasional
 *   r >= 1/4   (about quarterly)        2 uncommon
 *   otherwise, including no raising     1 remote
 * Compared in whole numbers (raisings x 28 against multiples of the window), so no rounding.
 */
export function probabilityFromRecurrence(raisingsInWindow: number, windowDays: number): HfmeaProbability {
  if (!Number.isInteger(raisingsInWindow) || raisingsInWindow < 0) {
    throw new RangeError(`raisingsInWindow must be a non-negative integer, got ${String(raisingsInWindow)}`);
  }
  if (!Number.isInteger(windowDays) || windowDays < 1) {
    throw new RangeError(`windowDays must be a positive integer, got ${String(windowDays)}`);
  }
  const days = Math.max(windowDays, MIN_WINDOW_DAYS);
  const perPeriod = raisingsInWindow * RECURRENCE_PERIOD_DAYS; // r = perPeriod / days
  if (perPeriod >= 4 * days) return 4;
  if (perPeriod >= days) return 3;
  if (perPeriod * 4 >= days) return 2;
  return 1;
}

/** One point per full 13 weeks the thread has been open, at most 4. */
export function ageBonus(ageDays: number): number {
  if (!Number.isInteger(ageDays) || ageDays < 0) {
    throw new RangeError(`ageDays must be a non-negative integer, got ${String(ageDays)}`);
  }
  return Math.min(MAX_AGE_BONUS, Math.floor(ageDays / AGE_STEP_DAYS));
}

export interface ThreatInput {
  /** The worst 5x5 consequence among the thread's raisings (1..5). */
  consequence: number;
  /** Times the thread was raised inside the report window. */
  raisingsInWindow: number;
  /** Length of the report window in days (from and to included). */
  windowDays: number;
  /** Days from the thread's first raising to the report's as-at date. */
  ageDays: number;
}

export interface HazardAssessment {
  severity: HfmeaSeverity;
  probability: HfmeaProbability;
  hazardScore: number;
  ageBonus: number;
  rankScore: number;
  proceedToAction: boolean;
}

export function assessHazard(input: ThreatInput): HazardAssessment {
  const severity = severityFromConsequence(input.consequence);
  const probability = probabilityFromRecurrence(input.raisingsInWindow, input.windowDays);
  const hazardScore = severity * probability;
  const bonus = ageBonus(input.ageDays);
  return {
    severity,
    probability,
    hazardScore,
    ageBonus: bonus,
    rankScore: hazardScore + bonus,
    proceedToAction: hazardScore >= ACTION_THRESHOLD,
  };
}

export interface RankableThreat extends HazardAssessment {
  ageDays: number;
  raisingsInWindow: number;
  /** Tie-breaker of last resort, so the order is stable. */
  threadId: string;
}

/**
 * Ranking order: rank score, then hazard score (a younger but graver threat first), then age,
 * then recurrence in the window, then thread id.
 */
export function compareThreats(a: RankableThreat, b: RankableThreat): number {
  return (
    b.rankScore - a.rankScore ||
    b.hazardScore - a.hazardScore ||
    b.ageDays - a.ageDays ||
    b.raisingsInWindow - a.raisingsInWindow ||
    (a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0)
  );
}
