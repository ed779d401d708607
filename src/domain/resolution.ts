/**
 * Resolution of issues as a board reads it: how many were resolved, with a 95% Wilson interval,
 * how long resolution took (Kaplan-Meier, so unresolved issues count as censored rather than
 * being dropped), and whether one group's odds of resolution differ from another's.
 * Pure, no I/O; built on domain/statistics.ts.
 */
import {
  kaplanMeier,
  oddsRatio,
  wilsonInterval,
  type KaplanMeierResult,
  type SurvivalObservation,
} from './statistics.js';

/** Issues of one group that share a time and an outcome (as SQL returns them, grouped). */
export interface ResolutionCell {
  /** Whole days from raising to resolution, or to the as-at date when unresolved (censored). */
  days: number;
  resolved: boolean;
  count: number;
}

export interface ResolutionSummary {
  items: number;
  resolved: number;
  resolutionRate: number | null;
  /** 95% Wilson interval of the resolution rate. */
  lower: number | null;
  upper: number | null;
  /** Kaplan-Meier median days to resolution; null when fewer than half were resolved. */
  medianDaysToResolution: number | null;
}

export function observationsOf(cells: readonly ResolutionCell[]): SurvivalObservation[] {
  const observations: SurvivalObservation[] = [];
  for (const { days, resolved, count } of cells) {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`count must be a non-negative integer, got ${count}`);
    for (let i = 0; i < count; i++) observations.push({ time: days, event: resolved });
  }
  return observations;
}

export function summariseResolution(
  cells: readonly ResolutionCell[],
): ResolutionSummary & { curve: KaplanMeierResult } {
  const items = cells.reduce((sum, c) => sum + c.count, 0);
  const resolved = cells.reduce((sum, c) => sum + (c.resolved ? c.count : 0), 0);
  const interval = wilsonInterval(resolved, items);
  const curve = kaplanMeier(observationsOf(cells));
  return {
    items,
    resolved,
    resolutionRate: interval.rate,
    lower: interval.lower,
    upper: interval.upper,
    medianDaysToResolution: curve.median,
    curve,
  };
}

export interface ResolutionOddsRatio {
  /** a, b: the exposed group resolved / unresolved; c, d: the reference group. */
  table: { exposedResolved: number; exposedUnresolved: number; referenceResolved: number; referenceUnresolved: number };
  oddsRatio: number | null;
  lower: number | null;
  upper: number | null;
  /** 'woolf', or 'woolf_haldane' when a cell was 0 and 0.5 was added to every cell. */
  method: 'woolf' | 'woolf_haldane';
  /** Fisher's exact test, two-sided: valid at any count, and the one to read when counts are small. */
  fisherP: number;
  /** Some expected cell count is below 5: the Woolf interval is approximate, rely on Fisher's p. */
  smallCounts: boolean;
}

/** Odds of resolution in the exposed group against the reference group. */
export function resolutionOddsRatio(
  exposed: { items: number; resolved: number },
  reference: { items: number; resolved: number },
): ResolutionOddsRatio {
  const a = exposed.resolved;
  const b = exposed.items - exposed.resolved;
  const c = reference.resolved;
  const d = reference.items - reference.resolved;
  const result = oddsRatio(a, b, c, d);
  const n = a + b + c + d;
  const expected =
    n === 0
      ? [0]
      : [((a + b) * (a + c)) / n, ((a + b) * (b + d)) / n, ((c + d) * (a + c)) / n, ((c + d) * (b + d)) / n];
  return {
    table: { exposedResolved: a, exposedUnresolved: b, referenceResolved: c, referenceUnresolved: d },
    oddsRatio: result.oddsRatio,
    lower: result.lower,
    upper: result.upper,
    method: result.method,
    fisherP: result.fisherP,
    smallCounts: expected.some((e) => e < 5),
  };
}
