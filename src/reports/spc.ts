/**
 * Weekly XmR charts (NHS "Making Data Count") of the three board measures: items raised,
 * share of escalations acknowledged within deadline, median days to resolution.
 */
import {
  REPORT_TIME_ZONE,
  addDays,
  completeIsoWeeks,
  daysBetween,
  minDate,
  startOfLocalDay,
} from '../domain/calendar.js';
import { xmrChart, type ImprovementDirection, type XmrChart, type XmrInputPoint } from '../domain/spc.js';
import type { Executor } from '../db/client.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { withReportContext, type ReportDatabases } from './context.js';
import type { SpcMetric, SpcQuery } from './schemas.js';
import { presentPeriod, presentScope, type ReportPeriod, type ReportScope } from './scope.js';
import { ackWithinDeadlineByWeek, daysToResolutionByWeek, itemsRaisedByWeek } from './spc-queries.js';

export const SPC_METRIC_INFO: Record<SpcMetric, { title: string; unit: string; improvement: ImprovementDirection }> = {
  items_raised: { title: 'Items raised per week', unit: 'items', improvement: 'neutral' },
  ack_within_deadline: {
    title: 'Escalations acknowledged within deadline (share, by week opened)',
    unit: 'share',
    improvement: 'up',
  },
  days_to_resolution: {
    title: 'Median days to resolution (by week resolved)',
    unit: 'days',
    improvement: 'down',
  },
};

export interface SpcChart extends XmrChart {
  metric: SpcMetric;
  title: string;
  unit: string;
  improvement: ImprovementDirection;
  target: number | null;
  summary: { variation: string; assurance: string };
}

/**
 * The last day that is over as at `asOf`: the as-at date when the period has ended (asOf is the
 * midnight after it), else the day before it (today is still going on).
 */
export function lastFinishedDay(period: Pick<ReportPeriod, 'asOf' | 'asOfDate'>): string {
  const endOfAsOfDate = startOfLocalDay(addDays(period.asOfDate, 1), REPORT_TIME_ZONE);
  return period.asOf.getTime() >= endOfAsOfDate.getTime() ? period.asOfDate : addDays(period.asOfDate, -1);
}

/**
 * Weeks the charts cover: ISO weeks lying wholly inside the period and finished as at `asOf`.
 * An unfinished week (the current one, or the period's last when it ends before the week does)
 * is left out: its part-count would look like a fall and raise a false signal.
 */
export function chartWeeks(period: ReportPeriod): { weeks: string[]; lastSunday: string | null } {
  const lastDay = minDate(period.to, lastFinishedDay(period));
  const weeks = daysBetween(period.from, lastDay) >= 0 ? completeIsoWeeks(period.from, lastDay) : [];
  const last = weeks.at(-1);
  return { weeks, lastSunday: last === undefined ? null : addDays(last, 6) };
}

/** The weekly points of one metric: counts in every week; shares and medians only where defined. */
export async function spcPoints(
  db: Executor,
  scope: ReportScope,
  period: ReportPeriod,
  metric: SpcMetric,
): Promise<XmrInputPoint[]> {
  const { weeks, lastSunday } = chartWeeks(period);
  const first = weeks[0];
  if (first === undefined || lastSunday === null) return [];
  switch (metric) {
    case 'items_raised': {
      const counts = new Map((await itemsRaisedByWeek(db, scope, first, lastSunday)).map((r) => [r.week, r.value]));
      return weeks.map((week) => ({ period: week, value: counts.get(week) ?? 0 }));
    }
    case 'ack_within_deadline':
      return ackPoints(weeks, await ackWithinDeadlineByWeek(db, scope, period, first, lastSunday));
    case 'days_to_resolution': {
      const byWeek = new Map(
        (await daysToResolutionByWeek(db, scope, period, first, lastSunday)).map((r) => [r.week, r]),
      );
      return weeks.flatMap((week) => {
        const row = byWeek.get(week);
        return row && row.resolved > 0 ? [{ period: week, value: Number(row.value) }] : [];
      });
    }
  }
}

/** Weekly share acknowledged within deadline: only weeks where some acknowledgement was decided. */
export function ackPoints(weeks: string[], rows: { week: string; within: number; decided: number }[]): XmrInputPoint[] {
  const byWeek = new Map(rows.map((r) => [r.week, r]));
  return weeks.flatMap((week) => {
    const row = byWeek.get(week);
    return row && row.decided > 0 ? [{ period: week, value: row.within / row.decided }] : [];
  });
}

export function spcChart(metric: SpcMetric, points: XmrInputPoint[], target?: number): SpcChart {
  const info = SPC_METRIC_INFO[metric];
  const chart = xmrChart(points, { improvement: info.improvement, ...(target === undefined ? {} : { target }) });
  return {
    metric,
    title: info.title,
    unit: info.unit,
    improvement: info.improvement,
    target: target ?? null,
    ...chart,
    summary: { variation: describeVariation(chart), assurance: describeAssurance(chart, info.improvement, target) },
  };
}

export async function buildSpcChart(
  db: Executor,
  scope: ReportScope,
  period: ReportPeriod,
  metric: SpcMetric,
  target?: number,
): Promise<SpcChart> {
  return spcChart(metric, await spcPoints(db, scope, period, metric), target);
}

/** Plain-language reading of the chart's variation, as Making Data Count words it. */
export function describeVariation(chart: XmrChart): string {
  const trial = chart.trial ? ' Limits are trial limits (fewer than 12 points).' : '';
  switch (chart.variation) {
    case 'insufficient_data':
      return 'Not enough data: at least two points are needed for control limits.';
    case 'common_cause':
      return `Common cause variation: no signal of change in the latest point.${trial}`;
    case 'special_cause_improvement':
      return `Special cause variation, improving: the latest point signals a change for the better.${trial}`;
    case 'special_cause_concern':
      return `Special cause variation, of concern: the latest point signals a change for the worse.${trial}`;
    case 'special_cause_neutral':
      return `Special cause variation: the latest point signals a change (this measure has no better direction).${trial}`;
  }
}

export function describeAssurance(
  chart: XmrChart,
  improvement: ImprovementDirection,
  target: number | undefined,
): string {
  if (target === undefined) return 'No target set: assurance is not assessed.';
  if (improvement === 'neutral') {
    return 'This measure has no better direction, so there is no passing or failing side: assurance is not assessed.';
  }
  if (chart.variation === 'insufficient_data') return 'Not enough data to assess assurance against the target.';
  switch (chart.assurance) {
    case 'consistently_pass':
      return 'The process will consistently meet the target (the target lies outside the process limits, on the passing side).';
    case 'consistently_fail':
      return 'The process will consistently fail the target unless it changes (the target lies outside the process limits, on the failing side).';
    case 'hit_and_miss':
      return 'The process will hit and miss the target (the target lies within the process limits).';
    default:
      return 'Assurance could not be assessed.';
  }
}

/** GET /v1/reports/spc */
export function spcReport(databases: ReportDatabases, principal: TenantPrincipal, request: SpcQuery, now = new Date()) {
  return withReportContext(databases, principal, request, now, async ({ db, scope, period }) => {
    const chart = await buildSpcChart(db, scope, period, request.metric, request.target);
    return { ...chart, scope: presentScope(scope), period: presentPeriod(period) };
  });
}
