import { and, asc, eq, gte, inArray, isNull, lte, ne } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { escalationActions, escalations, items, staff, staffCover, wards } from '../db/schema.js';

/**
 * Every unresolved escalation with what a digest shows of it, grouped later by assignee: one
 * statement for every organisation (a day's digests are one pass).
 */
export function unresolvedEscalations(db: Executor) {
  return db
    .select({
      id: escalations.id,
      organisationId: escalations.organisationId,
      assigneeStaffId: escalations.assigneeStaffId,
      state: escalations.state,
      band: escalations.band,
      level: escalations.level,
      dueAt: escalations.dueAt,
      ward: { code: wards.code, name: wards.name },
      item: { description: items.description, riskScore: items.riskScore, raisedOn: items.raisedOn },
    })
    .from(escalations)
    .innerJoin(items, eq(items.id, escalations.itemId))
    .innerJoin(wards, eq(wards.id, escalations.wardId))
    .where(ne(escalations.state, 'resolved'))
    .orderBy(asc(escalations.dueAt), asc(escalations.id));
}

export type DigestRow = Awaited<ReturnType<typeof unresolvedEscalations>>[number];

/** The planned actions of these escalations. */
export async function actionsOf(db: Executor, escalationIds: string[]) {
  if (escalationIds.length === 0) return [];
  return db
    .select({
      escalationId: escalationActions.escalationId,
      description: escalationActions.description,
      dueDate: escalationActions.dueDate,
    })
    .from(escalationActions)
    .where(inArray(escalationActions.escalationId, escalationIds))
    .orderBy(asc(escalationActions.dueDate));
}

/** Covers in force on `day`: the deputy's digest also lists the manager's escalations. */
export function coversOn(db: Executor, day: string) {
  return db
    .select({ managerStaffId: staffCover.managerStaffId, deputyStaffId: staffCover.deputyStaffId })
    .from(staffCover)
    .where(and(isNull(staffCover.cancelledAt), lte(staffCover.fromDate, day), gte(staffCover.toDate, day)));
}

/** Name, address and organisation of the managers among these staff. */
export function recipients(db: Executor, staffIds: string[]) {
  if (staffIds.length === 0) return Promise.resolve([]);
  return db
    .select({ id: staff.id, organisationId: staff.organisationId, name: staff.name, email: staff.email })
    .from(staff)
    .where(and(inArray(staff.id, staffIds), inArray(staff.role, ['middle_manager', 'senior_manager'])));
}
