/**
 * The board pack's SQL: every statement is set-based (grouped in the database, no query per
 * ward, item or escalation) and read-only. The shaping and arithmetic live in governance-*.ts.
 */
import { sql, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { escalations, items } from '../db/schema.js';
import { forEachRow, rows, statementAlias, tableAs } from '../db/sql.js';
import { inReportScope, inScope, type ReportPeriod, type ReportScope } from './scope.js';
import { escalationFactsSql, latestRaisingsSql, openThreadsSql, periodParams, type OpenThreadRow } from './sql.js';
import { briefing, escalation, escalationAction, item, itemPriority, priority, staffMember } from './tables.js';
import { liveEscalation, liveItem } from '../items/conditions.js';

export const ATTENDANCE_GROUPS = ['nursing', 'medical', 'allied', 'manager', 'other'] as const;
export type AttendanceGroup = (typeof ATTENDANCE_GROUPS)[number];

export type FidelityCounts = {
  held_working_days: number;
  held: number;
  not_held: number;
  recorded_working_days: number;
} & { [K in `${AttendanceGroup}_${'total' | 'recorded' | 'present'}`]: number };

export type FidelityRow = FidelityCounts & { ward_id: string };

/** Per ward: working days with a held briefing (up to the as-at date), briefings, attendance. */
export function briefingFidelity(db: Executor, scope: ReportScope, period: ReportPeriod) {
  const p = periodParams(period);
  const b = briefing;
  const attendanceOf: Record<AttendanceGroup, SQLWrapper> = {
    nursing: b.attendanceNursing,
    medical: b.attendanceMedical,
    allied: b.attendanceAllied,
    manager: b.attendanceManager,
    other: b.attendanceOther,
  };
  const attendance = ATTENDANCE_GROUPS.map((group) => {
    const column = attendanceOf[group];
    return sql`,
      coalesce(sum(${column}) FILTER (WHERE ${b.held}), 0)::int AS ${sql.raw(`${group}_total`)},
      count(${column}) FILTER (WHERE ${b.held})::int AS ${sql.raw(`${group}_recorded`)},
      count(*) FILTER (WHERE ${b.held} AND ${column} > 0)::int AS ${sql.raw(`${group}_present`)}`;
  });
  return rows<FidelityRow>(
    db,
    sql`
      SELECT
        ${b.wardId} AS ward_id,
        count(DISTINCT ${b.date}) FILTER (WHERE ${b.held} AND extract(isodow FROM ${b.date}) <= 5 AND ${b.date} <= ${p.asOfDate})::int AS held_working_days,
        count(*) FILTER (WHERE ${b.held})::int AS held,
        count(*) FILTER (WHERE NOT ${b.held})::int AS not_held,
        count(DISTINCT ${b.date}) FILTER (WHERE extract(isodow FROM ${b.date}) <= 5 AND ${b.date} <= ${p.asOfDate})::int AS recorded_working_days
        ${sql.join(attendance, sql``)}
      FROM ${tableAs(b)}
      WHERE ${inReportScope(b, scope)}
        AND ${b.date} BETWEEN ${p.from} AND ${p.to}
      GROUP BY ${b.wardId}`,
  );
}

export interface NotHeldReasonRow {
  ward_id: string;
  reason: string | null;
  count: number;
}

export function notHeldReasons(db: Executor, scope: ReportScope, period: ReportPeriod) {
  const p = periodParams(period);
  const b = briefing;
  return rows<NotHeldReasonRow>(
    db,
    sql`
      SELECT ${b.wardId} AS ward_id, ${b.notHeldReason} AS reason, count(*)::int AS count
      FROM ${tableAs(b)}
      WHERE ${inReportScope(b, scope)}
        AND ${b.date} BETWEEN ${p.from} AND ${p.to}
        AND NOT ${b.held}
      GROUP BY ${b.wardId}, ${b.notHeldReason}`,
  );
}

export interface ItemCountRow {
  ward_id: string;
  /** Raised in the period (else in the previous one). */
  current: boolean;
  kind: string;
  category: string;
  band: string;
  count: number;
}

/** Items raised per ward, period (current or previous), kind, category and band. */
export function itemCounts(db: Executor, scope: ReportScope, period: ReportPeriod) {
  const p = periodParams(period);
  const i = item;
  return rows<ItemCountRow>(
    db,
    sql`
      SELECT ${i.wardId} AS ward_id, (${i.raisedOn} >= ${p.from}) AS current, ${i.kind} AS kind, ${i.category} AS category,
             coalesce(${i.riskBand}, 'ungraded') AS band, count(*)::int AS count
      FROM ${tableAs(i)}
      WHERE ${inReportScope(i, scope)}
        AND ${liveItem(i)}
        AND ${i.raisedOn} BETWEEN ${p.previousFrom} AND ${p.to}
      GROUP BY 1, 2, 3, 4, 5`,
  );
}

export interface EscalationFactRow {
  band: string;
  level_reached: number;
  /** Monday of the ISO week opened (local date). */
  week: string;
  ack_class: 'within' | 'late' | 'missed' | 'pending' | 'closed_unacknowledged';
  /** The outcome if resolved by the as-at time, else 'unresolved'. */
  outcome: string;
  hours_to_ack: number | null;
  days_to_resolve: number | null;
}

/**
 * One compact row per escalation opened in the period (see escalationFactsSql), handed to `each`
 * as read through a cursor: the pack groups them (overall, by band, by level reached, by week)
 * and takes medians in one pass in JavaScript, which is cheaper than four sorted grouping sets
 * with ordered-set aggregates in the database, without holding a year's rows at once.
 */
export function escalationFacts(
  db: Executor,
  scope: ReportScope,
  period: ReportPeriod,
  each: (row: EscalationFactRow) => void,
) {
  const facts = escalationFactsSql(period, scope.organisation.id, scope, period);
  return forEachRow<EscalationFactRow>(
    db,
    sql`
      SELECT f.band, f.level_reached::int AS level_reached,
             (date_trunc('week', f.opened_on::timestamp))::date::text AS week,
             f.ack_class, f.outcome, f.hours_to_ack::float8 AS hours_to_ack, f.days_to_resolve::float8 AS days_to_resolve
      FROM (${facts}) f`,
    each,
  );
}

/** One grouping set of the overdue count: overall (neither flag), by band, or by level. */
export interface OverdueRow {
  by_band: boolean;
  by_level: boolean;
  band: string | null;
  level: number | null;
  count: number;
}

/** Escalations overdue right now (open, deadline passed), whenever they were opened. */
export function overdueNow(db: Executor, scope: ReportScope, period: ReportPeriod) {
  const p = periodParams(period);
  const e = escalation;
  return rows<OverdueRow>(
    db,
    sql`
      SELECT grouping(${e.band}) = 0 AS by_band, grouping(${e.level}) = 0 AS by_level, ${e.band} AS band, ${e.level} + 1 AS level,
             count(*)::int AS count
      FROM ${tableAs(e)}
      WHERE ${inReportScope(e, scope)}
        AND ${liveEscalation(e)}
        AND ${e.state} = 'open' AND ${e.dueAt} < ${p.now}
      GROUP BY GROUPING SETS ((), (${e.band}), (${e.level}))`,
  );
}

/** Open threads of problems and risks (see openThreadsSql), handed to `each` as read through a cursor. */
export function openThreads(
  db: Executor,
  scope: ReportScope,
  period: ReportPeriod,
  each: (row: OpenThreadRow) => void,
) {
  return forEachRow<OpenThreadRow>(db, openThreadsSql(scope, period), each);
}

export interface ThreadDetailRow {
  thread_id: string;
  item_id: string;
  ward_id: string;
  kind: string;
  category: string;
  description: string;
  risk_band: string | null;
  escalation_id: string | null;
  escalation_state: string | null;
  owner_id: string | null;
  owner_name: string | null;
  stance: string | null;
  stance_rationale: string | null;
  stance_at_ms: number | null;
  action_description: string | null;
  action_due_date: string | null;
}

/** The thread's items, apart from the raisings the statement starts from. */
const threadItem = statementAlias(items, 'ti');
/** The thread's latest escalation: `e.*` of one row, so its columns keep their names. */
const esc = statementAlias(escalations, 'esc');

/**
 * For the given threads: the latest raising, and the thread's latest escalation with its
 * current owner, the manager's stance and the latest planned action. One statement.
 */
export function threadDetails(db: Executor, scope: ReportScope, period: ReportPeriod, threadIds: string[]) {
  const e = escalation;
  const s = staffMember;
  const a = escalationAction;
  return rows<ThreadDetailRow>(
    db,
    sql`
      SELECT latest.thread_id, latest.id AS item_id, latest.ward_id, latest.kind, latest.category, latest.description,
             latest.risk_band, ${esc.id} AS escalation_id, ${esc.state} AS escalation_state,
             ${esc.assigneeStaffId} AS owner_id, ${s.name} AS owner_name, ${esc.stance} AS stance,
             ${esc.stanceRationale} AS stance_rationale,
             (extract(epoch FROM ${esc.stanceAt}) * 1000)::float8 AS stance_at_ms,
             act.description AS action_description, act.due_date::text AS action_due_date
      FROM (${latestRaisingsSql(scope, period, threadIds)}) latest
      LEFT JOIN LATERAL (
        SELECT ${e}.* FROM ${tableAs(e)}
        JOIN ${tableAs(threadItem)} ON ${threadItem.id} = ${e.itemId}
        WHERE ${e.organisationId} = ${scope.organisation.id}::uuid
          AND (${threadItem.id} = latest.thread_id OR ${threadItem.threadId} = latest.thread_id)
          AND ${liveItem(threadItem)}
        ORDER BY ${e.createdAt} DESC, ${e.id} DESC
        LIMIT 1
      ) ${esc} ON true
      LEFT JOIN ${tableAs(s)} ON ${s.id} = ${esc.assigneeStaffId}
      LEFT JOIN LATERAL (
        SELECT ${a.description} AS description, ${a.dueDate} AS due_date FROM ${tableAs(a)}
        WHERE ${a.escalationId} = ${esc.id}
        ORDER BY ${a.createdAt} DESC
        LIMIT 1
      ) act ON true`,
  );
}

export interface PriorityRow {
  id: string;
  title: string;
  level: string;
  ward_id: string | null;
  division: string | null;
  owner_id: string;
  owner_name: string;
  linked: number;
  resolved: number;
  raised_in_period: number;
}

/**
 * Active priorities that concern the scope (organisation-wide ones, those of the scope's
 * divisions, and those of its wards), with their linked problems and risks in scope raised up
 * to `to` and how many of them were resolved by `asOf`.
 */
export function priorityProgress(db: Executor, scope: ReportScope, period: ReportPeriod) {
  const p = periodParams(period);
  const divisions = [...new Set(scope.wards.map((w) => w.division).filter((d): d is string => d !== null))];
  const [pr, s, ip, i] = [priority, staffMember, itemPriority, item] as const;
  return rows<PriorityRow>(
    db,
    sql`
      SELECT ${pr.id} AS id, ${pr.title} AS title, ${pr.level} AS level, ${pr.wardId} AS ward_id, ${pr.division} AS division,
             ${pr.ownerStaffId} AS owner_id, ${s.name} AS owner_name,
             count(${i.id})::int AS linked,
             count(${i.id}) FILTER (WHERE ${i.resolvedAt} <= ${p.asOf})::int AS resolved,
             count(${i.id}) FILTER (WHERE ${i.raisedOn} >= ${p.from})::int AS raised_in_period
      FROM ${tableAs(pr)}
      JOIN ${tableAs(s)} ON ${s.id} = ${pr.ownerStaffId}
      LEFT JOIN ${tableAs(ip)} ON ${ip.priorityId} = ${pr.id}
      LEFT JOIN ${tableAs(i)} ON ${i.id} = ${ip.itemId}
        AND ${liveItem(i)}
        AND ${inScope(i.wardId, scope)}
        AND ${i.raisedOn} <= ${p.to}
      WHERE ${pr.organisationId} = ${scope.organisation.id}::uuid
        AND ${pr.active}
        AND (${pr.level} = 'organisation'
          OR (${pr.level} = 'division' AND ${pr.division} IN (SELECT jsonb_array_elements_text(${JSON.stringify(divisions)}::jsonb)))
          OR (${pr.level} = 'ward' AND ${inScope(pr.wardId, scope)}))
      GROUP BY ${pr.id}, ${s.name}
      ORDER BY ${pr.level}, ${pr.title}, ${pr.id}`,
  );
}
