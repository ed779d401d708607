/**
 * XmR (individuals) statistical process control chart following NHS England
 * "Making Data Count" as NHSRplotthedots 0.2 implements it with its defaults (moving-range
 * screening, rule priority, no assurance on a neutral measure). Pure: values in, values out.
 */

export type ImprovementDirection = 'up' | 'down' | 'neutral';
export type SpecialCauseRule = 'outside_limits' | 'shift' | 'trend' | 'two_of_three';
export type SpecialCauseKind = 'improvement' | 'concern' | 'neutral';
export type Variation =
  | 'common_cause'
  | 'special_cause_improvement'
  | 'special_cause_concern'
  | 'special_cause_neutral'
  | 'insufficient_data';
export type Assurance = 'consistently_pass' | 'consistently_fail' | 'hit_and_miss';

export interface XmrInputPoint {
  period: string;
  value: number;
}

export interface XmrPoint extends XmrInputPoint {
  special?: { rule: SpecialCauseRule; kind: SpecialCauseKind };
}

export interface XmrOptions {
  improvement: ImprovementDirection;
  target?: number;
}

export interface XmrChart {
  points: XmrPoint[];
  mean: number | null;
  upperProcessLimit: number | null;
  lowerProcessLimit: number | null;
  upperNearLimit: number | null;
  lowerNearLimit: number | null;
  trial: boolean;
  variation: Variation;
  assurance?: Assurance;
}

/** 3 / d2 with d2 = 1.128 for moving ranges of two points: converts AMR to 3 sigma. */
export const PROCESS_LIMIT_FACTOR = 2.66;
/** The near-limit (2 sigma) lines sit two thirds of the way to the process limits. */
export const NEAR_LIMIT_FACTOR = (2 / 3) * PROCESS_LIMIT_FACTOR;
/**
 * Upper range limit of the moving-range chart (D4 = 3.267 for ranges of two points): a moving
 * range at least this many times the mean moving range is screened out before AMR is taken, as
 * NHSRplotthedots does by default, so one wild jump does not widen the limits for every point.
 */
export const MOVING_RANGE_SCREEN_FACTOR = 3.267;
/** Limits from fewer points than this are provisional ("trial") per Making Data Count. */
export const MIN_POINTS_FOR_FIRM_LIMITS = 12;
/** Run length for the shift and trend rules. */
export const RUN_LENGTH = 7;

/** Rules in NHSRplotthedots' priority order: when a point breaks several, the first listed is reported. */
const RULE_PRIORITY: readonly SpecialCauseRule[] = ['outside_limits', 'trend', 'two_of_three', 'shift'];

type Side = 'high' | 'low';
/** Per point, the side for each rule it triggered. */
type RuleHits = Map<SpecialCauseRule, Side>[];

export interface XmrLimits {
  mean: number;
  /** Mean of the moving ranges left after screening. */
  averageMovingRange: number;
  upperProcessLimit: number;
  lowerProcessLimit: number;
  upperNearLimit: number;
  lowerNearLimit: number;
}

function kindFor(side: Side, improvement: ImprovementDirection): SpecialCauseKind {
  if (improvement === 'neutral') return 'neutral';
  const isGood = (side === 'high') === (improvement === 'up');
  return isGood ? 'improvement' : 'concern';
}

function average(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/**
 * Centre line and limits of an XmR chart from at least two values. Moving ranges of at least
 * 3.267 x their mean are left out of AMR; when every moving range is 0 there is nothing to screen.
 */
export function xmrLimits(values: readonly number[]): XmrLimits {
  if (values.length < 2) throw new RangeError(`limits need at least two values, got ${values.length}`);
  const mean = average(values);
  const movingRanges = values.slice(1).map((v, i) => Math.abs(v - (values[i] as number)));
  const screenAt = MOVING_RANGE_SCREEN_FACTOR * average(movingRanges);
  const kept = screenAt > 0 ? movingRanges.filter((range) => range < screenAt) : movingRanges;
  const averageMovingRange = average(kept);
  // Not clamped at zero: these are the statistical limits. The report layer may clamp
  // for display when the measure is a count or rate that cannot be negative.
  return {
    mean,
    averageMovingRange,
    upperProcessLimit: mean + PROCESS_LIMIT_FACTOR * averageMovingRange,
    lowerProcessLimit: mean - PROCESS_LIMIT_FACTOR * averageMovingRange,
    upperNearLimit: mean + NEAR_LIMIT_FACTOR * averageMovingRange,
    lowerNearLimit: mean - NEAR_LIMIT_FACTOR * averageMovingRange,
  };
}

/**
 * Flags every point of each maximal run spanning >= RUN_LENGTH points in which
 * `sideOf` keeps returning the same non-null side. `leadingPoints` is 1 for trends,
 * where `sideOf(i)` describes the step into point i, so the run also covers the
 * point before its first step (6 steps = 7 points).
 */
function flagRuns(
  count: number,
  sideOf: (index: number) => Side | null,
  rule: SpecialCauseRule,
  hits: RuleHits,
  leadingPoints: 0 | 1,
): void {
  let runStart = 0;
  let runSide: Side | null = null;
  const close = (endExclusive: number): void => {
    if (runSide === null) return;
    const first = runStart - leadingPoints;
    if (endExclusive - first >= RUN_LENGTH) {
      for (let i = first; i < endExclusive; i++) hits[i]?.set(rule, runSide);
    }
  };
  for (let i = 0; i < count; i++) {
    const side = sideOf(i);
    if (side !== runSide) {
      close(i);
      runStart = i;
      runSide = side;
    }
  }
  close(count);
}

/** Which rules each point breaks, and on which side. */
function ruleHits(values: readonly number[], limits: XmrLimits): RuleHits {
  const n = values.length;
  const at = (i: number): number => values[i] as number;
  const { mean, upperProcessLimit, lowerProcessLimit, upperNearLimit, lowerNearLimit } = limits;
  const hits: RuleHits = values.map(() => new Map<SpecialCauseRule, Side>());
  const sideOfMean = (i: number): Side | null => (at(i) > mean ? 'high' : at(i) < mean ? 'low' : null);

  // Outside limits: a single point beyond a process limit.
  values.forEach((v, i) => {
    if (v > upperProcessLimit) hits[i]?.set('outside_limits', 'high');
    else if (v < lowerProcessLimit) hits[i]?.set('outside_limits', 'low');
  });

  // Trend: 7 points each strictly above (or below) the one before; a repeated value breaks it.
  // Step i is the change from point i-1 to point i; index 0 has no step. A peak shared by a
  // rising and a falling trend keeps the side of the later (falling) one.
  flagRuns(
    n,
    (i) => (i === 0 ? null : at(i) > at(i - 1) ? 'high' : at(i) < at(i - 1) ? 'low' : null),
    'trend',
    hits,
    1,
  );

  // Two of three: within three consecutive points all on one side of the mean, at least two
  // lie beyond that side's near limit but inside the process limit; those points are flagged.
  const near = (i: number): Side | null =>
    hits[i]?.has('outside_limits') ? null : at(i) > upperNearLimit ? 'high' : at(i) < lowerNearLimit ? 'low' : null;
  for (let start = 0; start + 3 <= n; start++) {
    const window = [start, start + 1, start + 2];
    const side = sideOfMean(start);
    if (side === null || !window.every((i) => sideOfMean(i) === side)) continue;
    const beyond = window.filter((i) => near(i) === side);
    if (beyond.length >= 2) beyond.forEach((i) => hits[i]?.set('two_of_three', side));
  }

  // Shift: 7+ consecutive points on one side of the mean; a point on the mean breaks the run.
  flagRuns(n, sideOfMean, 'shift', hits, 0);
  return hits;
}

export function xmrChart(points: XmrInputPoint[], options: XmrOptions): XmrChart {
  for (const { period, value } of points) {
    if (!Number.isFinite(value)) {
      throw new RangeError(`value for period ${period} must be a finite number, got ${value}`);
    }
  }
  const { improvement, target } = options;
  const values = points.map((p) => p.value);
  const n = values.length;
  const trial = n < MIN_POINTS_FOR_FIRM_LIMITS;

  if (n < 2) {
    // One point has no moving range, so no limits and no rules can be evaluated.
    return {
      points: points.map(({ period, value }) => ({ period, value })),
      mean: n === 1 ? (values[0] as number) : null,
      upperProcessLimit: null,
      lowerProcessLimit: null,
      upperNearLimit: null,
      lowerNearLimit: null,
      trial,
      variation: 'insufficient_data',
    };
  }

  const limits = xmrLimits(values);
  const hits = ruleHits(values, limits);
  const chartPoints: XmrPoint[] = points.map(({ period, value }, i) => {
    const pointHits = hits[i] as Map<SpecialCauseRule, Side>;
    const rule = RULE_PRIORITY.find((r) => pointHits.has(r));
    if (rule === undefined) return { period, value };
    const side = pointHits.get(rule) as Side;
    return { period, value, special: { rule, kind: kindFor(side, improvement) } };
  });

  // Making Data Count summarises variation by the most recent point.
  const latest = chartPoints[n - 1]?.special;
  const variation: Variation = latest ? `special_cause_${latest.kind}` : 'common_cause';

  const { mean, upperProcessLimit, lowerProcessLimit, upperNearLimit, lowerNearLimit } = limits;
  const chart: XmrChart = {
    points: chartPoints,
    mean,
    upperProcessLimit,
    lowerProcessLimit,
    upperNearLimit,
    lowerNearLimit,
    trial,
    variation,
  };
  const assurance =
    target === undefined
      ? undefined
      : assessAssurance(target, limits.lowerProcessLimit, limits.upperProcessLimit, improvement);
  if (assurance !== undefined) chart.assurance = assurance;
  return chart;
}

/**
 * Whether the process, as it stands, can be relied on to meet the target. A target on a
 * limit counts as inside (hit and miss). A measure with no better direction has no
 * pass or fail, so no assurance at all.
 */
function assessAssurance(
  target: number,
  lowerProcessLimit: number,
  upperProcessLimit: number,
  improvement: ImprovementDirection,
): Assurance | undefined {
  if (!Number.isFinite(target)) throw new RangeError(`target must be a finite number, got ${target}`);
  if (improvement === 'neutral') return undefined;
  if (target >= lowerProcessLimit && target <= upperProcessLimit) return 'hit_and_miss';
  const targetBelowProcess = target < lowerProcessLimit;
  // Higher is better and the whole process sits above the target => always passes, and vice versa.
  return targetBelowProcess === (improvement === 'up') ? 'consistently_pass' : 'consistently_fail';
}
