import { and, eq, gte, isNull, lte, sql, type Placeholder } from 'drizzle-orm';
import { preparedPer } from '../db/prepared.js';
import type { Executor } from '../db/client.js';
import { staff, staffCover } from '../db/schema.js';
import { localDateOf } from '../domain/calendar.js';

/** The day cover is judged on: today in the trust's calendar. */
export const coverDay = (now: Date) => localDateOf(now);

/** The covers in force on `day` (not cancelled, the day within their range). */
const inForceOn = (day: string | Placeholder) =>
  and(isNull(staffCover.cancelledAt), lte(staffCover.fromDate, day), gte(staffCover.toDate, day));

/** The managers a deputy covers on a day, with their names: read on every inbox visit, so prepared. */
const coveredOn = preparedPer((db) =>
  db
    .select({ managerStaffId: staffCover.managerStaffId, name: staff.name })
    .from(staffCover)
    .innerJoin(staff, eq(staff.id, staffCover.managerStaffId))
    .where(
      and(
        eq(staffCover.organisationId, sql.placeholder('organisationId')),
        eq(staffCover.deputyStaffId, sql.placeholder('deputyStaffId')),
        inForceOn(sql.placeholder('day')),
      ),
    )
    .prepare('cover_managers_covered_by'),
);

/** The managers `deputyStaffId` covers on the day of `now`, with their names. */
export function managersCoveredBy(db: Executor, organisationId: string, deputyStaffId: string, now = new Date()) {
  return coveredOn(db).execute({ organisationId, deputyStaffId, day: coverDay(now) });
}

/** Whether `deputyStaffId` covers `managerStaffId` on the day of `now`. */
export async function isCovering(db: Executor, deputyStaffId: string, managerStaffId: string, now = new Date()) {
  const [found] = await db
    .select({ id: staffCover.id })
    .from(staffCover)
    .where(
      and(
        eq(staffCover.deputyStaffId, deputyStaffId),
        eq(staffCover.managerStaffId, managerStaffId),
        inForceOn(coverDay(now)),
      ),
    )
    .limit(1);
  return Boolean(found);
}
