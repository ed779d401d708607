/**
 * Pure statistics helpers for board governance reports (no I/O).
 *
 * No npm dependency is used: `simple-statistics` and `jstat` offer a median and
 * lgamma/normal quantiles but neither provides a Wilson interval, Fisher's exact
 * test or a Kaplan-Meier estimator, and the only special function needed here
 * (log-factorial for integer counts) is a cumulative sum of logs.
 */

/** 97.5th percentile of the standard normal: two-sided 95% intervals. */
export const Z_95 = 1.959963984540054;

/** R's fisher.test treats probabilities within this relative distance of the observed one as "as extreme". */
const FISHER_RELATIVE_TOLERANCE = 1e-7;

const MEDIAN_TOLERANCE = 1e-12;

function assertFiniteNumbers(values: readonly number[], name: string): void {
  for (const value of values) {
    if (!Number.isFinite(value)) {
      throw new RangeError(`${name} must contain only finite numbers, got ${value}`);
    }
  }
}

function assertCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

/** Median of the values; null for an empty list. Does not mutate the input. */
export function median(values: number[]): number | null {
  assertFiniteNumbers(values, 'values');
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  if (sorted.length % 2 === 1) return upper;
  const lower = sorted[mid - 1] as number;
  return (lower + upper) / 2;
}

export interface ProportionInterval {
  rate: number | null;
  lower: number | null;
  upper: number | null;
}

/**
 * Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998
 * method 3). Unlike the Wald interval it stays inside [0, 1] and behaves well for
 * small counts and rates near 0 or 1, which is common for ward-level data.
 */
export function wilsonInterval(successes: number, total: number, z = Z_95): ProportionInterval {
  assertCount(successes, 'successes');
  assertCount(total, 'total');
  if (successes > total) {
    throw new RangeError(`successes (${successes}) cannot exceed total (${total})`);
  }
  if (total === 0) return { rate: null, lower: null, upper: null };

  const p = successes / total;
  const z2 = z * z;
  const denominator = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denominator;
  const halfWidth = (z / denominator) * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  // Clamp only to remove floating-point dust at 0/n and n/n (the exact bounds are 0 and 1).
  return {
    rate: p,
    lower: Math.max(0, centre - halfWidth),
    upper: Math.min(1, centre + halfWidth),
  };
}

/** logFactorials[k] = ln(k!) for k = 0..n, by cumulative sums (exact enough for counts in the thousands). */
function logFactorials(n: number): Float64Array {
  const table = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) {
    table[k] = (table[k - 1] as number) + Math.log(k);
  }
  return table;
}

/**
 * Fisher's exact test, two-sided, for the 2x2 table [[a, b], [c, d]].
 * The p-value is the sum of the hypergeometric probabilities (margins fixed) of
 * every table no more likely than the observed one, as in R's fisher.test.
 */
export function fisherExactTwoSided(a: number, b: number, c: number, d: number): number {
  assertCount(a, 'a');
  assertCount(b, 'b');
  assertCount(c, 'c');
  assertCount(d, 'd');

  const row1 = a + b;
  const row2 = c + d;
  const col1 = a + c;
  const n = row1 + row2;
  const lf = logFactorials(n);
  const at = (k: number): number => lf[k] as number;

  // ln P(top-left cell = x) for the hypergeometric distribution with these margins.
  const constant = at(row1) + at(row2) + at(col1) + at(n - col1) - at(n);
  const logProbability = (x: number): number => constant - at(x) - at(row1 - x) - at(col1 - x) - at(row2 - col1 + x);

  const minX = Math.max(0, col1 - row2);
  const maxX = Math.min(row1, col1);
  const observed = logProbability(a);
  const threshold = observed + Math.log1p(FISHER_RELATIVE_TOLERANCE);

  let pValue = 0;
  for (let x = minX; x <= maxX; x++) {
    const logP = logProbability(x);
    if (logP <= threshold) pValue += Math.exp(logP);
  }
  // Summation can overshoot 1 by rounding when every table counts (e.g. a symmetric table).
  return Math.min(1, pValue);
}

export interface OddsRatioResult {
  oddsRatio: number | null;
  lower: number | null;
  upper: number | null;
  method: 'woolf' | 'woolf_haldane';
  fisherP: number;
}

/**
 * Odds ratio with a Woolf (log-OR) 95% confidence interval, plus Fisher's exact
 * two-sided p-value for the same table.
 *
 * Cell layout:
 *   a = exposed & resolved,   b = exposed & unresolved,
 *   c = unexposed & resolved, d = unexposed & unresolved.
 * So oddsRatio > 1 means the exposed group had higher odds of resolution.
 *
 * When any cell is 0 the log-OR and its standard error are undefined, so the
 * Haldane-Anscombe correction adds 0.5 to every cell (method 'woolf_haldane').
 * If a whole row or column is empty the table carries no information on the
 * association at all, so the estimate and interval are null (fisherP is then 1).
 */
export function oddsRatio(a: number, b: number, c: number, d: number): OddsRatioResult {
  const fisherP = fisherExactTwoSided(a, b, c, d); // also validates the counts
  const needsCorrection = a === 0 || b === 0 || c === 0 || d === 0;
  const method = needsCorrection ? 'woolf_haldane' : 'woolf';

  const emptyMargin = a + b === 0 || c + d === 0 || a + c === 0 || b + d === 0;
  if (emptyMargin) {
    return { oddsRatio: null, lower: null, upper: null, method, fisherP };
  }

  const k = needsCorrection ? 0.5 : 0;
  const [ca, cb, cc, cd] = [a + k, b + k, c + k, d + k];
  const logOr = Math.log((ca * cd) / (cb * cc));
  const standardError = Math.sqrt(1 / ca + 1 / cb + 1 / cc + 1 / cd);
  return {
    oddsRatio: Math.exp(logOr),
    lower: Math.exp(logOr - Z_95 * standardError),
    upper: Math.exp(logOr + Z_95 * standardError),
    method,
    fisherP,
  };
}

export interface SurvivalObservation {
  /** Days from opening until resolution (event) or until last seen open (censored). */
  time: number;
  /** true = resolved at `time`; false = censored (still open at `time`). */
  event: boolean;
}

export interface SurvivalPoint {
  time: number;
  /** Items still open and under observation just before `time`. */
  atRisk: number;
  events: number;
  censored: number;
  /** Estimated probability of still being open after `time`. */
  survival: number;
}

export interface KaplanMeierResult {
  /** One row per distinct time (event and/or censoring), ascending. */
  points: SurvivalPoint[];
  /** Smallest time at which survival <= 0.5; null if the curve never gets there. */
  median: number | null;
}

/**
 * Kaplan-Meier product-limit estimate of time-to-resolution.
 * Ties follow the standard convention: items censored at time t are still at
 * risk for events at t (events are processed before censorings).
 */
export function kaplanMeier(observations: SurvivalObservation[]): KaplanMeierResult {
  for (const { time } of observations) {
    if (!Number.isFinite(time) || time < 0) {
      throw new RangeError(`time must be a finite non-negative number, got ${time}`);
    }
  }

  const byTime = new Map<number, { events: number; censored: number }>();
  for (const { time, event } of observations) {
    const counts = byTime.get(time) ?? { events: 0, censored: 0 };
    if (event) counts.events += 1;
    else counts.censored += 1;
    byTime.set(time, counts);
  }

  const points: SurvivalPoint[] = [];
  let atRisk = observations.length;
  let survival = 1;
  let medianTime: number | null = null;
  for (const time of [...byTime.keys()].sort((x, y) => x - y)) {
    const { events, censored } = byTime.get(time) as { events: number; censored: number };
    if (events > 0) survival *= 1 - events / atRisk;
    points.push({ time, atRisk, events, censored, survival });
    // Tiny tolerance so a product that is exactly 0.5 on paper (e.g. 2/3 x 3/4) is not missed by rounding.
    if (medianTime === null && survival <= 0.5 + MEDIAN_TOLERANCE) medianTime = time;
    atRisk -= events + censored;
  }
  return { points, median: medianTime };
}
