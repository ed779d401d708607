/** SQL of the alignment analysis (also the board pack's alignment table). Read-only, set-based. */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { forEachRow, rows, tableAs } from '../db/sql.js';
import { inReportScope, type ReportPeriod, type ReportScope } from './scope.js';
import { localDate, periodParams } from './sql.js';
import { item as i, itemPriority as ip, positionChange as pc, priority as pr } from './tables.js';
import { liveItem } from '../items/conditions.js';

export interface ResolutionCellRow {
  alignment: string;
  band: string | null;
  resolved: boolean;
  days: number;
  count: number;
}

/**
 * The item's alignment at the manager's first response: the alignment the first `agree` or
 * `disagree` recorded by `asOf` made (its position_changes row keeps it, with the team's position
 * as it stood then); `pending` when the manager had not answered by then. `needs_information` is
 * not an answer. One definition for the unadjusted tables and the models.
 */
const firstResponses = (scope: ReportScope, asOf: SQL) => sql`(
  SELECT DISTINCT ON (${pc.itemId}) ${pc.itemId} AS item_id, ${pc.alignmentAfter} AS alignment
  FROM ${tableAs(pc)}
  WHERE ${pc.organisationId} = ${scope.organisation.id}::uuid AND ${pc.side} = 'managerial'
    AND ${pc.stance} IN ('agree', 'disagree') AND ${pc.createdAt} <= ${asOf}
  ORDER BY ${pc.itemId}, ${pc.createdAt}, ${pc.id})`;

/** The issues a statement reads, each with its alignment at the first response (one pass over the answers, joined). */
const withFirstResponse = (scope: ReportScope, asOf: SQL) =>
  sql`${tableAs(i)} LEFT JOIN ${firstResponses(scope, asOf)} AS first_response ON first_response.item_id = ${i.id}`;
const alignmentAtFirstResponse = sql`coalesce(first_response.alignment, 'pending')`;

/** Whether the issue was resolved by `asOf`, and whole days to that (or, still open, to the as-at date: censored). */
function outcomeColumns(period: ReportPeriod, p: ReturnType<typeof periodParams>) {
  const resolved = sql`(${i.resolvedAt} IS NOT NULL AND ${i.resolvedAt} <= ${p.asOf})`;
  return sql`${resolved} AS resolved,
             greatest(0, CASE WHEN ${resolved} THEN ${localDate(i.resolvedAt, period)} - ${i.raisedOn}
                              ELSE ${p.asOfDate} - ${i.raisedOn} END)::int AS days`;
}

/** The problems and risks raised in the period that the ward did not fix at the briefing. */
function issuesOfPeriod(scope: ReportScope, p: ReturnType<typeof periodParams>) {
  return sql`FROM ${withFirstResponse(scope, p.asOf)}
      WHERE ${inReportScope(i, scope)}
        AND ${liveItem(i)}
        AND ${i.kind} <> 'good_practice'
        AND NOT ${i.resolvedAtBriefing}
        AND ${i.raisedOn} BETWEEN ${p.from} AND ${p.to}`;
}

/**
 * Problems and risks raised in the period that the ward did not fix at the briefing, grouped
 * by alignment at the manager's first response, risk band, outcome at `asOf` and whole days to
 * resolution (or, for those still open at `asOf`, days to the as-at date: censored).
 */
export function resolutionCells(db: Executor, scope: ReportScope, period: ReportPeriod) {
  const p = periodParams(period);
  return rows<ResolutionCellRow>(
    db,
    sql`
      SELECT ${alignmentAtFirstResponse} AS alignment, ${i.riskBand} AS band, ${outcomeColumns(period, p)},
             count(*)::int AS count
      ${issuesOfPeriod(scope, p)}
      GROUP BY 1, 2, 3, 4`,
  );
}

export interface ModelRow {
  /** Alignment just after the manager's first answer (agree or disagree) by asOf; pending if none. */
  alignment: string;
  band: string | null;
  priority_aligned: boolean;
  resolved: boolean;
  days: number;
  /** The thread of repeats the item belongs to (its own id for a first raising). */
  thread: string;
}

/**
 * One row per problem or risk of resolutionCells, for the models: alignment measured at the
 * manager's first response (the position_changes row of that answer keeps the alignment it
 * made, the team's position as it stood then), priority alignment and the thread of repeats.
 * `needs_information` is not an answer, so the first agree or disagree counts.
 */
export function forEachModelRow(
  db: Executor,
  scope: ReportScope,
  period: ReportPeriod,
  each: (row: ModelRow) => void,
): Promise<void> {
  const p = periodParams(period);
  // Read through a cursor: a large trust's year has hundreds of thousands of issues.
  return forEachRow<ModelRow>(
    db,
    sql`
      SELECT ${alignmentAtFirstResponse} AS alignment,
             ${i.riskBand} AS band,
             EXISTS (SELECT 1 FROM ${tableAs(ip)} JOIN ${tableAs(pr)} ON ${pr.id} = ${ip.priorityId}
                     WHERE ${ip.itemId} = ${i.id} AND ${pr.active}) AS priority_aligned,
             ${outcomeColumns(period, p)},
             coalesce(${i.threadId}, ${i.id})::text AS thread
      ${issuesOfPeriod(scope, p)}
      ORDER BY ${i.raisedOn}, ${i.id}`,
    each,
  );
}
