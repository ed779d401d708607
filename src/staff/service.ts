import { and, asc, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import { visibleStaff } from '../auth/staff-scope.js';
import type { Database, Executor } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { refuseIdentifiers, textFields } from '../screening/free-text.js';
import { actorOf, recordAudit } from '../audit/record.js';
import { staff, staffWards, wards } from '../db/schema.js';
import type { StaffRole } from '../domain/taxonomy.js';
import { AppError, conflict, notFound } from '../http/errors.js';

export type StaffRow = typeof staff.$inferSelect;

export function presentStaff(row: StaffRow, wardIds: string[]) {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    role: row.role,
    wardIds,
    createdAt: row.createdAt.toISOString(),
    deactivatedAt: row.deactivatedAt?.toISOString() ?? null,
    deactivationReason: row.deactivationReason,
  };
}

export async function assertWardsInOrganisation(db: Executor, organisationId: string, wardIds: string[]) {
  if (wardIds.length === 0) return;
  const found = await db
    .select({ id: wards.id })
    .from(wards)
    .where(and(eq(wards.organisationId, organisationId), inArray(wards.id, wardIds)));
  const known = new Set(found.map((w) => w.id));
  const missing = wardIds.findIndex((id) => !known.has(id));
  if (missing >= 0) {
    throw new AppError('validation_failed', 'wardIds names a ward that does not exist', {
      errors: [{ path: `body.wardIds.${missing}`, message: 'no such ward in this organisation' }],
    });
  }
}

export async function createStaff(
  db: Database,
  principal: TenantPrincipal,
  input: { name: string; email: string; role: StaffRole; wardIds?: string[] | undefined },
) {
  refuseIdentifiers(textFields({ name: input.name }));
  const wardIds = [...new Set(input.wardIds ?? [])];
  try {
    return await db.transaction(async (tx) => {
      await assertWardsInOrganisation(tx, principal.organisationId, wardIds);
      const [row] = await tx
        .insert(staff)
        .values({ organisationId: principal.organisationId, name: input.name, email: input.email, role: input.role })
        .returning();
      if (!row) throw new Error('insert returned no row');
      if (wardIds.length > 0) {
        await tx.insert(staffWards).values(wardIds.map((wardId) => ({ staffId: row.id, wardId })));
      }
      await recordAudit(tx, {
        organisationId: principal.organisationId,
        actor: actorOf(principal),
        entityType: 'staff',
        entityId: row.id,
        action: 'created',
        changes: { role: row.role, wardIds },
      });
      return presentStaff(row, wardIds);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`A staff member with email ${input.email} already exists`);
    throw error;
  }
}

export async function wardIdsByStaff(db: Executor, staffIds: string[]) {
  const byStaff = new Map<string, string[]>();
  if (staffIds.length === 0) return byStaff;
  const rows = await db.select().from(staffWards).where(inArray(staffWards.staffId, staffIds));
  for (const row of rows) byStaff.set(row.staffId, [...(byStaff.get(row.staffId) ?? []), row.wardId]);
  return byStaff;
}

/**
 * Staff the caller may see: everyone of the organisation for organisation-wide roles; for a
 * middle manager, the staff of their wards only (the staff record's wards).
 */
export async function listStaff(
  db: Executor,
  principal: TenantPrincipal,
  filter: { role?: StaffRole | undefined; active?: boolean | undefined },
) {
  const active =
    filter.active === undefined
      ? undefined
      : filter.active
        ? isNull(staff.deactivatedAt)
        : isNotNull(staff.deactivatedAt);
  const rows = await db
    .select()
    .from(staff)
    .where(and(visibleStaff(principal), filter.role ? eq(staff.role, filter.role) : undefined, active))
    .orderBy(asc(staff.name), asc(staff.id));
  const wardsOf = await wardIdsByStaff(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => presentStaff(row, wardsOf.get(row.id) ?? []));
}

export async function getStaff(db: Executor, principal: TenantPrincipal, staffId: string) {
  const [row] = await db
    .select()
    .from(staff)
    .where(and(eq(staff.id, staffId), visibleStaff(principal)));
  if (!row) throw notFound('Staff member');
  const wardsOf = await wardIdsByStaff(db, [row.id]);
  return presentStaff(row, wardsOf.get(row.id) ?? []);
}
