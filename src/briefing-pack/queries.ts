/** What the briefing pack reads of one ward. Each is one statement. */
import { and, asc, desc, eq, gte, lt, lte, ne, sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { briefings, escalationActions, escalations, itemPriorities, items, priorities, staff } from '../db/schema.js';
import { liveItem, openIssuesOfWard } from '../items/conditions.js';

/** The ward's last held briefing before `date`, if any. */
export async function previousHeldBriefing(db: Executor, wardId: string, date: string) {
  const [previous] = await db
    .select({ id: briefings.id, date: briefings.date })
    .from(briefings)
    .where(and(eq(briefings.wardId, wardId), eq(briefings.held, true), lt(briefings.date, date)))
    .orderBy(desc(briefings.date))
    .limit(1);
  return previous;
}

/** Problems and risks raised up to `date` and still open, the highest risk first. */
export function openItemsOf(db: Executor, wardId: string, date: string) {
  return db
    .select()
    .from(items)
    .where(and(openIssuesOfWard(wardId), lte(items.raisedOn, date)))
    .orderBy(desc(items.riskScore), asc(items.raisedOn));
}

/** Problems and risks resolved in [from, until) by someone beyond the briefing, the latest first. */
export function resolvedItemsOf(db: Executor, wardId: string, from: Date, until: Date) {
  return db
    .select()
    .from(items)
    .where(
      and(
        eq(items.wardId, wardId),
        liveItem(),
        eq(items.status, 'resolved'),
        ne(items.kind, 'good_practice'),
        eq(items.resolvedAtBriefing, false),
        gte(items.resolvedAt, from),
        lt(items.resolvedAt, until),
      ),
    )
    .orderBy(desc(items.resolvedAt));
}

/** Open escalations whose deadline has passed at `now`, the longest overdue first. */
export function overdueEscalationsOf(db: Executor, wardId: string, now: Date) {
  return db
    .select({
      id: escalations.id,
      itemId: escalations.itemId,
      band: escalations.band,
      level: escalations.level,
      dueAt: escalations.dueAt,
      assignee: staff.name,
      description: items.description,
    })
    .from(escalations)
    .innerJoin(items, eq(items.id, escalations.itemId))
    .innerJoin(staff, eq(staff.id, escalations.assigneeStaffId))
    .where(and(eq(escalations.wardId, wardId), eq(escalations.state, 'open'), lt(escalations.dueAt, now), liveItem()))
    .orderBy(asc(escalations.dueAt));
}

/**
 * Planned actions of the ward's unresolved escalations whose due date is before `today` (the
 * trust's calendar), the longest overdue first.
 */
export function overdueActionsOf(db: Executor, wardId: string, today: string) {
  return db
    .select({
      id: escalationActions.id,
      escalationId: escalations.id,
      itemId: escalations.itemId,
      description: escalationActions.description,
      dueDate: escalationActions.dueDate,
      assignee: staff.name,
    })
    .from(escalationActions)
    .innerJoin(escalations, eq(escalations.id, escalationActions.escalationId))
    .innerJoin(staff, eq(staff.id, escalations.assigneeStaffId))
    .where(and(eq(escalations.wardId, wardId), ne(escalations.state, 'resolved'), lt(escalationActions.dueDate, today)))
    .orderBy(asc(escalationActions.dueDate), asc(escalationActions.createdAt));
}

/** Active priorities the ward's items are linked to, with how many of those items are open. */
export function linkedPrioritiesOf(db: Executor, wardId: string) {
  return db
    .select({
      id: priorities.id,
      title: priorities.title,
      level: priorities.level,
      active: priorities.active,
      items: sql<number>`count(*)::int`,
      openItems: sql<number>`count(*) filter (where ${items.status} = 'open')::int`,
    })
    .from(itemPriorities)
    .innerJoin(priorities, eq(priorities.id, itemPriorities.priorityId))
    .innerJoin(items, eq(items.id, itemPriorities.itemId))
    .where(and(eq(items.wardId, wardId), liveItem(), eq(priorities.active, true)))
    .groupBy(priorities.id, priorities.title, priorities.level, priorities.active)
    .orderBy(asc(priorities.title));
}

export type OverdueEscalationRow = Awaited<ReturnType<typeof overdueEscalationsOf>>[number];
export type OverdueActionRow = Awaited<ReturnType<typeof overdueActionsOf>>[number];
export type LinkedPriorityRow = Awaited<ReturnType<typeof linkedPrioritiesOf>>[number];
