/** The board pack's escalation figures: pure, one pass over the escalation facts. */
import { REPORTED_OUTCOMES } from '../domain/escalation.js';
import { RISK_BANDS } from '../domain/risk.js';
import { wilsonInterval } from '../domain/statistics.js';
import type { EscalationFactRow, OverdueRow } from './governance-queries.js';
import type { GovernancePack } from './schemas.js';

type EscalationStats = GovernancePack['escalations']['overall'];

/**
 * The median as domain/statistics.ts defines it (the mean of the two middle values for an even
 * count; null when empty), sorting a Float64Array: numeric and much faster than a comparator sort
 * on the tens of thousands of escalations of a year.
 */
export function medianOf(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
type AckClass = EscalationFactRow['ack_class'];

/**
 * Counts and the values medians are taken of, for one group of escalations: two numbers per
 * escalation (8 bytes each), not its row. A weekly tally keeps counts only.
 */
class EscalationTally {
  opened = 0;
  ack: Record<AckClass, number> = { within: 0, late: 0, missed: 0, pending: 0, closed_unacknowledged: 0 };
  outcomes = new Map<string, number>();
  hoursToAck: number[] = [];
  daysToResolve: number[] = [];
  resolvedCount = 0;

  constructor(private readonly keepValues = true) {}

  add(row: EscalationFactRow) {
    this.opened += 1;
    this.ack[row.ack_class] += 1;
    this.outcomes.set(row.outcome, (this.outcomes.get(row.outcome) ?? 0) + 1);
    if (row.days_to_resolve !== null) this.resolvedCount += 1;
    if (!this.keepValues) return;
    if (row.hours_to_ack !== null) this.hoursToAck.push(Number(row.hours_to_ack));
    if (row.days_to_resolve !== null) this.daysToResolve.push(Number(row.days_to_resolve));
  }

  stats(overdue: number): EscalationStats {
    const within = this.ack.within;
    const interval = wilsonInterval(within, within + this.ack.late + this.ack.missed);
    return {
      opened: this.opened,
      acknowledgedWithinDeadline: within,
      acknowledgedLate: this.ack.late,
      missedDeadline: this.ack.missed,
      pending: this.ack.pending,
      closedWithoutAcknowledgement: this.ack.closed_unacknowledged,
      ackWithinDeadlineShare: interval.rate,
      lower: interval.lower,
      upper: interval.upper,
      medianHoursToAcknowledge: medianOf(this.hoursToAck),
      resolved: this.resolvedCount,
      medianDaysToResolve: medianOf(this.daysToResolve),
      overdueNow: overdue,
    };
  }
}

const tally = <K>(map: Map<K, EscalationTally>, key: K, keepValues = true) => {
  let t = map.get(key);
  if (!t) map.set(key, (t = new EscalationTally(keepValues)));
  return t;
};

/**
 * The escalation facts folded in one at a time, as they are read (overall, by band, by level
 * reached, by week opened), so the pack never holds the facts themselves.
 */
export class EscalationFigures {
  readonly overall = new EscalationTally();
  readonly byBand = new Map<string, EscalationTally>();
  readonly byLevel = new Map<number, EscalationTally>();
  readonly byWeek = new Map<string, EscalationTally>();

  add(row: EscalationFactRow) {
    this.overall.add(row);
    tally(this.byBand, row.band).add(row);
    tally(this.byLevel, Number(row.level_reached)).add(row);
    tally(this.byWeek, row.week, false).add(row);
  }
}

/** Pure: the escalation section, and the weekly acknowledgement counts the SPC chart needs. */
export function escalationSection(
  facts: EscalationFigures | Iterable<EscalationFactRow>,
  overdue: OverdueRow[],
): { section: GovernancePack['escalations']; weeks: { week: string; within: number; decided: number }[] } {
  let figures: EscalationFigures;
  if (facts instanceof EscalationFigures) {
    figures = facts;
  } else {
    figures = new EscalationFigures();
    for (const row of facts) figures.add(row);
  }
  const { overall, byBand, byLevel, byWeek } = figures;
  const overdueOf = (match: (r: (typeof overdue)[number]) => boolean) => overdue.find(match)?.count ?? 0;
  const levels = [
    ...new Set([...byLevel.keys(), ...overdue.filter((r) => r.by_level).map((r) => Number(r.level))]),
  ].sort((a, b) => a - b);
  return {
    section: {
      overall: overall.stats(overdueOf((r) => !r.by_band && !r.by_level)),
      byBand: RISK_BANDS.map((band) => ({
        band,
        ...(byBand.get(band) ?? new EscalationTally()).stats(overdueOf((r) => r.by_band && r.band === band)),
      })),
      byLevel: levels.map((level) => ({
        level,
        ...(byLevel.get(level) ?? new EscalationTally()).stats(
          overdueOf((r) => r.by_level && Number(r.level) === level),
        ),
      })),
      outcomes: [...REPORTED_OUTCOMES, 'unresolved' as const].map((outcome) => ({
        outcome,
        count: overall.outcomes.get(outcome) ?? 0,
      })),
    },
    weeks: [...byWeek.entries()].map(([week, t]) => ({
      week,
      within: t.ack.within,
      decided: t.ack.within + t.ack.late + t.ack.missed,
    })),
  };
}
