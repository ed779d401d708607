/** SQL of the alignment analysis (also the board pack's alignment table). Read-only, set-based. */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { rows, tableAs } from '../db/sql.js';
import { inReportScope, type ReportPeriod, type ReportScope } from './scope.js';
import { localDate, periodParams } from './sql.js';
import { item as i } from './tables.js';
import { liveItem } from '../items/conditions.js';

export interface ResolutionCellRow {
  alignment: string;
  band: string | null;
  resolved: boolean;
  days: number;
  count: number;
}

/**
 * Problems and risks raised in the period that the ward did not fix at the briefing, grouped
 * by alignment state, risk band, outcome at `asOf` and whole days to resolution (or, for those
 * still open at `asOf`, days to the as-at date: censored).
 */
export function resolutionCells(db: Executor, scope: ReportScope, period: ReportPeriod) {
  const p = periodParams(period);
  const resolved = sql`(${i.resolvedAt} IS NOT NULL AND ${i.resolvedAt} <= ${p.asOf})`;
  return rows<ResolutionCellRow>(
    db,
    sql`
      SELECT ${i.alignment} AS alignment, ${i.riskBand} AS band, ${resolved} AS resolved,
             greatest(0, CASE WHEN ${resolved} THEN ${localDate(i.resolvedAt, period)} - ${i.raisedOn}
                              ELSE ${p.asOfDate} - ${i.raisedOn} END)::int AS days,
             count(*)::int AS count
      FROM ${tableAs(i)}
      WHERE ${inReportScope(i, scope)}
        AND ${liveItem(i)}
        AND ${i.kind} <> 'good_practice'
        AND NOT ${i.resolvedAtBriefing}
        AND ${i.raisedOn} BETWEEN ${p.from} AND ${p.to}
      GROUP BY 1, 2, 3, 4`,
  );
}
