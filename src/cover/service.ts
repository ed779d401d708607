import { and, asc, eq, gte, inArray, isNull, lte, or } from 'drizzle-orm';
import { actorOf, recordAudit } from '../audit/record.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor, Transaction } from '../db/client.js';
import { staff, staffCover } from '../db/schema.js';
import { coverInForce, coverRangeProblem, type DayRange } from '../domain/cover.js';
import { AppError, conflict, forbidden, notFound } from '../http/errors.js';
import { visibleStaff } from '../auth/staff-scope.js';
import { coverDay } from './queries.js';

/**
 * Naming, listing and ending a manager's cover. A manager names their own deputy (or an org
 * admin does it for them); the deputy must be another manager of the same organisation; a
 * manager has one deputy on any day, and a deputy cannot be away themself while covering.
 */

const MANAGER_ROLES = ['middle_manager', 'senior_manager'] as const;

type CoverRow = typeof staffCover.$inferSelect;

function presentCover(row: CoverRow, names: Map<string, string>, today: string) {
  return {
    id: row.id,
    manager: { id: row.managerStaffId, name: names.get(row.managerStaffId) ?? '' },
    deputy: { id: row.deputyStaffId, name: names.get(row.deputyStaffId) ?? '' },
    from: row.fromDate,
    to: row.toDate,
    inForce: coverInForce({ from: row.fromDate, to: row.toDate, cancelledAt: row.cancelledAt }, today),
    cancelledAt: row.cancelledAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

async function present(db: Executor, rows: CoverRow[], now: Date) {
  const ids = [...new Set(rows.flatMap((r) => [r.managerStaffId, r.deputyStaffId]))];
  const people = ids.length
    ? await db.select({ id: staff.id, name: staff.name }).from(staff).where(inArray(staff.id, ids))
    : [];
  const names = new Map(people.map((p) => [p.id, p.name]));
  return rows.map((row) => presentCover(row, names, coverDay(now)));
}

/** The staff member whose cover is asked about, if the caller may see them (404 otherwise). */
async function visibleStaffMember(db: Executor, principal: TenantPrincipal, staffId: string) {
  const [row] = await db
    .select({ id: staff.id, role: staff.role })
    .from(staff)
    .where(
      and(
        eq(staff.id, staffId),
        principal.staffId === staffId ? eq(staff.organisationId, principal.organisationId) : visibleStaff(principal),
      ),
    );
  if (!row) throw notFound('Staff member');
  return row;
}

/** Only the manager themself or an org admin changes a manager's cover. */
function assertMayChange(principal: TenantPrincipal, managerStaffId: string) {
  if (principal.role !== 'org_admin' && principal.staffId !== managerStaffId) {
    throw forbidden('Only the manager themself or an org admin may change their cover');
  }
}

const unprocessable = (path: string, message: string) =>
  new AppError('unprocessable', `${path.replace('body.', '')} ${message}`, { errors: [{ path, message }] });

export interface CoverInput extends DayRange {
  deputyStaffId: string;
}

export async function nameCover(
  db: Database,
  principal: TenantPrincipal,
  managerStaffId: string,
  input: CoverInput,
  now = new Date(),
) {
  const manager = await visibleStaffMember(db, principal, managerStaffId);
  assertMayChange(principal, managerStaffId);
  if (!(MANAGER_ROLES as readonly string[]).includes(manager.role)) {
    throw unprocessable('params.id', 'is not a manager: only managers hold escalations and name deputies');
  }
  const problem = coverRangeProblem(input, coverDay(now));
  if (problem) {
    if (problem.status === 400) {
      throw new AppError('validation_failed', `${problem.path}: ${problem.message}`, {
        errors: [{ path: problem.path, message: problem.message }],
      });
    }
    throw unprocessable(problem.path, problem.message);
  }
  if (input.deputyStaffId === managerStaffId) throw unprocessable('body.deputyStaffId', 'must be another manager');
  const row = await db.transaction(async (tx) => {
    await lockPeople(tx, principal.organisationId, [managerStaffId, input.deputyStaffId]);
    await assertDeputy(tx, principal.organisationId, input.deputyStaffId);
    await assertNoOverlap(tx, managerStaffId, input);
    const [created] = await tx
      .insert(staffCover)
      .values({
        organisationId: principal.organisationId,
        managerStaffId,
        deputyStaffId: input.deputyStaffId,
        fromDate: input.from,
        toDate: input.to,
        createdByTokenId: principal.tokenId,
        createdAt: now,
      })
      .returning();
    await recordAudit(tx, {
      organisationId: principal.organisationId,
      actor: actorOf(principal),
      entityType: 'staff',
      entityId: managerStaffId,
      action: 'cover_named',
      changes: { coverId: created!.id, deputyStaffId: input.deputyStaffId, from: input.from, to: input.to },
      at: now,
    });
    return created!;
  });
  return (await present(db, [row], now))[0]!;
}

/** Both people's rows, in id order, so covers naming either are decided one at a time. */
async function lockPeople(tx: Transaction, organisationId: string, ids: string[]) {
  await tx
    .select({ id: staff.id })
    .from(staff)
    .where(and(eq(staff.organisationId, organisationId), inArray(staff.id, ids)))
    .orderBy(asc(staff.id))
    .for('update');
}

async function assertDeputy(tx: Executor, organisationId: string, deputyStaffId: string) {
  const [deputy] = await tx
    .select({ id: staff.id, deactivatedAt: staff.deactivatedAt })
    .from(staff)
    .where(
      and(eq(staff.id, deputyStaffId), eq(staff.organisationId, organisationId), inArray(staff.role, MANAGER_ROLES)),
    );
  if (!deputy) throw unprocessable('body.deputyStaffId', 'must be a middle or senior manager of this organisation');
  // A deputy who can no longer sign in would hold the cover's escalations unseen.
  if (deputy.deactivatedAt) throw unprocessable('body.deputyStaffId', 'has been deactivated; name an active manager');
}

/** Covers not cancelled that share a day with `range`, where `column` is `staffId`. */
const overlapping = (
  column: typeof staffCover.managerStaffId | typeof staffCover.deputyStaffId,
  staffId: string,
  range: DayRange,
) =>
  and(
    eq(column, staffId),
    isNull(staffCover.cancelledAt),
    lte(staffCover.fromDate, range.to),
    gte(staffCover.toDate, range.from),
  );

/**
 * One deputy per manager per day; a deputy is not away (covered) on the days they cover; a
 * manager going away is not covering someone else on those days (they hand that over first).
 */
async function assertNoOverlap(tx: Executor, managerStaffId: string, input: CoverInput) {
  const [clash] = await tx
    .select()
    .from(staffCover)
    .where(
      or(
        overlapping(staffCover.managerStaffId, managerStaffId, input),
        overlapping(staffCover.managerStaffId, input.deputyStaffId, input),
        overlapping(staffCover.deputyStaffId, managerStaffId, input),
      ),
    )
    .orderBy(asc(staffCover.fromDate))
    .limit(1);
  if (!clash) return;
  const extra = { existingCoverId: clash.id, from: clash.fromDate, to: clash.toDate };
  if (clash.managerStaffId === managerStaffId) {
    throw conflict('The manager already has a deputy on some of these days', extra);
  }
  if (clash.managerStaffId === input.deputyStaffId) {
    throw conflict('The deputy is away (covered by someone else) on some of these days', extra);
  }
  throw conflict('The manager covers someone else on some of these days: hand that cover over first', extra);
}

/** The covers naming the staff member as manager or as deputy that have not ended, soonest first. */
export async function listCover(db: Database, principal: TenantPrincipal, staffId: string, now = new Date()) {
  await visibleStaffMember(db, principal, staffId);
  const rows = await db
    .select()
    .from(staffCover)
    .where(
      and(
        eq(staffCover.organisationId, principal.organisationId),
        or(eq(staffCover.managerStaffId, staffId), eq(staffCover.deputyStaffId, staffId)),
        isNull(staffCover.cancelledAt),
        gte(staffCover.toDate, coverDay(now)),
      ),
    )
    .orderBy(asc(staffCover.fromDate), asc(staffCover.id));
  return { data: await present(db, rows, now) };
}

/** Ends a cover now (or withdraws one not yet begun); the row stays, with when it was cancelled. */
export async function cancelCover(
  db: Database,
  principal: TenantPrincipal,
  managerStaffId: string,
  coverId: string,
  now = new Date(),
) {
  await visibleStaffMember(db, principal, managerStaffId);
  const row = await db.transaction(async (tx) => {
    const [cover] = await tx
      .select()
      .from(staffCover)
      .where(
        and(
          eq(staffCover.id, coverId),
          eq(staffCover.managerStaffId, managerStaffId),
          eq(staffCover.organisationId, principal.organisationId),
        ),
      )
      .for('update');
    if (!cover) throw notFound('Cover');
    assertMayChange(principal, managerStaffId);
    if (cover.cancelledAt || cover.toDate < coverDay(now)) throw conflict('The cover has already ended');
    const [cancelled] = await tx
      .update(staffCover)
      .set({ cancelledAt: now })
      .where(eq(staffCover.id, coverId))
      .returning();
    await recordAudit(tx, {
      organisationId: principal.organisationId,
      actor: actorOf(principal),
      entityType: 'staff',
      entityId: managerStaffId,
      action: 'cover_cancelled',
      changes: { coverId, deputyStaffId: cover.deputyStaffId, from: cover.fromDate, to: cover.toDate },
      at: now,
    });
    return cancelled!;
  });
  return (await present(db, [row], now))[0]!;
}
