import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { escalations } from '../db/schema.js';
import { statementAlias, tableAs } from '../db/sql.js';
import { addDays, startOfLocalDay } from '../domain/calendar.js';
import {
  inReportScope,
  inScope,
  type DateRange,
  type ReportPeriod,
  type ReportScope,
  type WardFilter,
} from './scope.js';
import { escalation, escalationEvent, item } from './tables.js';
import { liveEscalation, liveItem } from '../items/conditions.js';

/** The parameters every report statement shares, cast once so both drivers agree on types. */
export function periodParams(period: ReportPeriod) {
  return {
    from: sql`${period.from}::date`,
    to: sql`${period.to}::date`,
    previousFrom: sql`${period.previous.from}::date`,
    asOf: sql`${period.asOf.toISOString()}::timestamptz`,
    asOfDate: sql`${period.asOfDate}::date`,
    now: sql`${period.generatedAt.toISOString()}::timestamptz`,
    timeZone: sql`${period.timeZone}::text`,
  };
}

/** The calendar date of a timestamp in the report's time zone. */
export function localDate(timestamp: SQLWrapper, period: ReportPeriod): SQL {
  return sql`((${timestamp}) AT TIME ZONE ${period.timeZone}::text)::date`;
}

/** escalationFactsSql's inner pass over the events names the escalations it chooses apart from its outer one. */
const openedEscalations = statementAlias(escalations, 's');

/**
 * One row per escalation opened in [from, to] (local dates) in scope, with what was known of it
 * at `asOf`: its first acknowledgement and whether that was in time, its first climb, the
 * highest level it reached, and its resolution. `ack_class` is
 *   within   acknowledged, the first acknowledgement inside its deadline with no climb before it
 *   late     acknowledged, but after a deadline had passed (a climb, or withinDeadline false)
 *   missed   never acknowledged, and a deadline passed (a climb, or due_at before resolution/asOf)
 *   closed_unacknowledged  resolved (e.g. fixed by the ward) before any deadline passed
 *   pending  open, not acknowledged, deadline still ahead
 * Set-based: the escalations' events are aggregated in one grouped pass and joined back.
 */
export function escalationFactsSql(
  period: ReportPeriod,
  organisationId: string,
  wards: WardFilter,
  opened: DateRange,
): SQL {
  const p = periodParams(period);
  // Local dates as instants, so the range can use the (organisation_id, created_at) index.
  const openedFrom = startOfLocalDay(opened.from, period.timeZone).toISOString();
  const openedUntil = startOfLocalDay(addDays(opened.to, 1), period.timeZone).toISOString();
  const chosen = (e: {
    organisationId: SQLWrapper;
    wardId: SQLWrapper;
    createdAt: SQLWrapper;
    outcome: SQLWrapper;
  }) => sql`
        ${e.organisationId} = ${organisationId}::uuid
        AND ${inScope(e.wardId, wards)}
        AND ${e.createdAt} >= ${openedFrom}::timestamptz
        AND ${e.createdAt} < ${openedUntil}::timestamptz
        AND ${e.createdAt} <= ${p.asOf}
        AND ${liveEscalation(e)}`;
  const e = escalation;
  const x = escalationEvent;
  return sql`
    SELECT
      ${e.id} AS id,
      ${e.band} AS band,
      ${localDate(e.createdAt, period)} AS opened_on,
      coalesce(ev.max_level, 0) + 1 AS level_reached,
      extract(epoch FROM ev.first_ack_at - ${e.createdAt}) / 3600.0 AS hours_to_ack,
      CASE WHEN ${e.resolvedAt} <= ${p.asOf} THEN extract(epoch FROM ${e.resolvedAt} - ${e.createdAt}) / 86400.0 END AS days_to_resolve,
      CASE WHEN ${e.resolvedAt} <= ${p.asOf} THEN ${e.outcome} ELSE 'unresolved' END AS outcome,
      CASE
        WHEN ev.first_ack_at IS NOT NULL THEN
          CASE WHEN ev.first_in_time_ack_at = ev.first_ack_at AND (ev.first_climb_at IS NULL OR ev.first_climb_at > ev.first_ack_at)
               THEN 'within' ELSE 'late' END
        WHEN ev.first_climb_at IS NOT NULL
          OR ${e.dueAt} < LEAST(coalesce(${e.resolvedAt}, ${p.asOf}), ${p.asOf}) THEN 'missed'
        WHEN ${e.resolvedAt} <= ${p.asOf} THEN 'closed_unacknowledged'
        ELSE 'pending'
      END AS ack_class
    FROM ${tableAs(e)}
    LEFT JOIN (
      SELECT
        ${x.escalationId} AS escalation_id,
        min(${x.createdAt}) FILTER (WHERE ${x.type} = 'acknowledged') AS first_ack_at,
        -- The first acknowledgement was in time exactly when the first in-time one is the first one
        -- (plain aggregates, so PostgreSQL can hash instead of sorting every escalation's events).
        min(${x.createdAt}) FILTER (WHERE ${x.type} = 'acknowledged' AND (${x.details}->>'withinDeadline')::boolean) AS first_in_time_ack_at,
        min(${x.createdAt}) FILTER (WHERE ${x.type} = 'climbed') AS first_climb_at,
        -- Escalations start at level 0; only a climb or an escalate moves them up (reassigning keeps the level).
        max(${x.level}) FILTER (WHERE ${x.type} IN ('climbed', 'escalated')) AS max_level
      FROM ${tableAs(x)}
      JOIN ${tableAs(openedEscalations)} ON ${openedEscalations.id} = ${x.escalationId}
      WHERE ${chosen(openedEscalations)} AND ${x.createdAt} <= ${p.asOf}
        AND ${x.type} IN ('acknowledged', 'climbed', 'escalated')
      GROUP BY ${x.escalationId}
    ) ev ON ev.escalation_id = ${e.id}
    WHERE ${chosen(e)}`;
}

export interface OpenThreadRow {
  thread_id: string;
  times_raised: number;
  /** Raisings from `from` to `to`. */
  raised_in_period: number;
  first_raised_on: string;
  last_raised_on: string;
  /** Whole days from the first raising to the as-at date. */
  days_open: number;
  /** The highest of the thread's raisings. */
  consequence: number | null;
  risk_score: number | null;
}

/**
 * Threads (an item and its repeats, keyed by coalesce(thread_id, id)) of problems and risks
 * raised up to `to` that were still open at `asOf`, one grouped statement. `gradedOnly` counts
 * only raisings with a consequence (so every row has one). Used by the board pack's persistent
 * issues and by the threat ranking.
 */
export function openThreadsSql(scope: ReportScope, period: ReportPeriod, options: { gradedOnly?: boolean } = {}): SQL {
  const p = periodParams(period);
  const i = item;
  return sql`
      SELECT coalesce(${i.threadId}, ${i.id}) AS thread_id,
             count(*)::int AS times_raised,
             count(*) FILTER (WHERE ${i.raisedOn} >= ${p.from})::int AS raised_in_period,
             min(${i.raisedOn})::text AS first_raised_on,
             max(${i.raisedOn})::text AS last_raised_on,
             greatest(0, ${p.asOfDate} - min(${i.raisedOn}))::int AS days_open,
             max(${i.consequence})::int AS consequence,
             max(${i.riskScore})::int AS risk_score
      FROM ${tableAs(i)}
      WHERE ${inReportScope(i, scope)}
        AND ${liveItem(i)}
        AND ${i.kind} <> 'good_practice'
        ${options.gradedOnly ? sql`AND ${i.consequence} IS NOT NULL` : sql``}
        AND ${i.raisedOn} <= ${p.to}
      GROUP BY 1
      HAVING bool_or(${i.resolvedAt} IS NULL OR ${i.resolvedAt} > ${p.asOf})`;
}

export interface LatestRaisingRow {
  thread_id: string;
  id: string;
  ward_id: string;
  kind: string;
  category: string;
  description: string;
  risk_band: string | null;
}

/** The latest raising (up to `to`) of each of the given threads, in one statement. */
export function latestRaisingsSql(scope: ReportScope, period: ReportPeriod, threadIds: string[]): SQL {
  const p = periodParams(period);
  const i = item;
  return sql`
      SELECT t.thread_id, latest.id, latest.ward_id, latest.kind, latest.category, latest.description, latest.risk_band
      FROM unnest(string_to_array(${threadIds.join(',')}, ',')::uuid[]) AS t(thread_id)
      JOIN LATERAL (
        SELECT ${i.id} AS id, ${i.wardId} AS ward_id, ${i.kind} AS kind, ${i.category} AS category,
               ${i.description} AS description, ${i.riskBand} AS risk_band
        FROM ${tableAs(i)}
        WHERE ${i.organisationId} = ${scope.organisation.id}::uuid
          AND (${i.id} = t.thread_id OR ${i.threadId} = t.thread_id)
          AND ${liveItem(i)}
          AND ${i.raisedOn} <= ${p.to}
        ORDER BY ${i.raisedOn} DESC, ${i.createdAt} DESC, ${i.id} DESC
        LIMIT 1
      ) latest ON true`;
}
