/**
 * The board pack's barriers: what managers who disagree with the change, or are undecided
 * (need more information), say stands in the way, among escalations opened in the period.
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { rows, tableAs } from '../db/sql.js';
import { BARRIERS, type Barrier } from '../domain/taxonomy.js';
import { liveEscalation } from '../items/conditions.js';
import { inReportScope, type ReportPeriod, type ReportScope } from './scope.js';
import { localDate, periodParams } from './sql.js';
import { escalation } from './tables.js';

export interface BarrierRow {
  /** disagree or needs_information; a null barrier counts the positions themselves. */
  stance: 'disagree' | 'needs_information';
  barrier: Barrier | null;
  count: number;
}

/**
 * Per stance: how many escalations opened in the period stand at that stance (as last stated
 * by the as-at time), and how many of them name each barrier. Grouping sets, one pass.
 */
export function barrierCounts(db: Executor, scope: ReportScope, period: ReportPeriod) {
  const p = periodParams(period);
  const e = escalation;
  return rows<BarrierRow>(
    db,
    sql`
      SELECT ${e.stance} AS stance, b.barrier, count(DISTINCT ${e.id})::int AS count
      FROM ${tableAs(e)}
      LEFT JOIN LATERAL unnest(${e.stanceBarriers}) AS b(barrier) ON true
      WHERE ${inReportScope(e, scope)}
        AND ${liveEscalation(e)}
        AND ${localDate(e.createdAt, period)} BETWEEN ${p.from} AND ${p.to}
        AND ${e.stanceAt} <= ${p.asOf}
        AND ${e.stance} IN ('disagree', 'needs_information')
      GROUP BY GROUPING SETS ((${e.stance}), (${e.stance}, b.barrier))
      HAVING b.barrier IS NOT NULL OR GROUPING(b.barrier) = 1`,
  );
}

export interface BarrierSection {
  disagreeing: number;
  undecided: number;
  barriers: { barrier: Barrier; disagreeing: number; undecided: number }[];
}

/** Pure: every barrier, in the taxonomy's order, with zeros where none was named. */
export function barrierSection(read: BarrierRow[]): BarrierSection {
  const countOf = (stance: BarrierRow['stance'], barrier: Barrier | null) =>
    read.find((r) => r.stance === stance && r.barrier === barrier)?.count ?? 0;
  return {
    disagreeing: countOf('disagree', null),
    undecided: countOf('needs_information', null),
    barriers: BARRIERS.map((barrier) => ({
      barrier,
      disagreeing: countOf('disagree', barrier),
      undecided: countOf('needs_information', barrier),
    })),
  };
}
