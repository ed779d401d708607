/** SQL of the weekly series behind the SPC charts. Read-only, one grouped statement per metric. */
import { sql, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { rows, tableAs } from '../db/sql.js';
import { inReportScope, type ReportPeriod, type ReportScope } from './scope.js';
import { escalationFactsSql, localDate, periodParams } from './sql.js';
import { item as i } from './tables.js';
import { liveItem } from '../items/conditions.js';

export interface WeekValueRow {
  week: string;
  value: number;
}

const week = (date: SQLWrapper) => sql`(date_trunc('week', (${date})::timestamp))::date::text`;

/** Items (of every kind) raised per ISO week, for weeks starting firstMonday..lastMonday. */
export function itemsRaisedByWeek(db: Executor, scope: ReportScope, firstMonday: string, lastSunday: string) {
  return rows<WeekValueRow>(
    db,
    sql`
      SELECT ${week(i.raisedOn)} AS week, count(*)::int AS value
      FROM ${tableAs(i)}
      WHERE ${inReportScope(i, scope)}
        AND ${liveItem(i)}
        AND ${i.raisedOn} BETWEEN ${firstMonday}::date AND ${lastSunday}::date
      GROUP BY 1`,
  );
}

/**
 * Per ISO week of opening: escalations acknowledged within their deadline, and all whose
 * acknowledgement was decided (within, late or missed). Pending and closed-unacknowledged
 * escalations have no answer yet and are left out.
 */
export function ackWithinDeadlineByWeek(
  db: Executor,
  scope: ReportScope,
  period: ReportPeriod,
  firstMonday: string,
  lastSunday: string,
) {
  const facts = escalationFactsSql(period, scope.organisation.id, scope, {
    from: firstMonday,
    to: lastSunday,
  });
  return rows<{ week: string; within: number; decided: number }>(
    db,
    sql`
      WITH f AS (${facts})
      SELECT ${week(sql`f.opened_on`)} AS week,
             count(*) FILTER (WHERE f.ack_class = 'within')::int AS within,
             count(*) FILTER (WHERE f.ack_class IN ('within', 'late', 'missed'))::int AS decided
      FROM f
      GROUP BY 1`,
  );
}

/**
 * Per ISO week of resolution (local date, up to `asOf`): the median whole days from raising to
 * resolution of the problems and risks resolved that week, whenever raised. Items fixed at the
 * briefing itself are left out: they are not issues that waited for anyone.
 */
export function daysToResolutionByWeek(
  db: Executor,
  scope: ReportScope,
  period: ReportPeriod,
  firstMonday: string,
  lastSunday: string,
) {
  const p = periodParams(period);
  const resolvedOn = localDate(i.resolvedAt, period);
  return rows<WeekValueRow & { resolved: number }>(
    db,
    sql`
      SELECT ${week(resolvedOn)} AS week,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(0, ${resolvedOn} - ${i.raisedOn})) AS value,
             count(*)::int AS resolved
      FROM ${tableAs(i)}
      WHERE ${inReportScope(i, scope)}
        AND ${liveItem(i)}
        AND ${i.kind} <> 'good_practice'
        AND NOT ${i.resolvedAtBriefing}
        AND ${i.resolvedAt} <= ${p.asOf}
        AND ${resolvedOn} BETWEEN ${firstMonday}::date AND ${lastSunday}::date
      GROUP BY 1`,
  );
}
