/** SQL of the alignment analysis (also the board pack's alignment table). Read-only, set-based. */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { inScope, type ReportPeriod, type ReportScope } from './scope.js';
import { rows } from '../db/sql.js';
import { localDate, periodParams } from './sql.js';

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
  const resolved = sql`(i.resolved_at IS NOT NULL AND i.resolved_at <= ${p.asOf})`;
  return rows<ResolutionCellRow>(
    db,
    sql`
      SELECT i.alignment, i.risk_band AS band, ${resolved} AS resolved,
             greatest(0, CASE WHEN ${resolved} THEN ${localDate(sql`i.resolved_at`, period)} - i.raised_on
                              ELSE ${p.asOfDate} - i.raised_on END)::int AS days,
             count(*)::int AS count
      FROM items i
      WHERE i.organisation_id = ${scope.organisation.id}::uuid
        AND ${inScope(sql`i.ward_id`, scope)}
        AND i.kind <> 'good_practice'
        AND NOT i.resolved_at_briefing
        AND i.raised_on BETWEEN ${p.from} AND ${p.to}
      GROUP BY 1, 2, 3, 4`,
  );
}
