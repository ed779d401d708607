import { and, eq, inArray, sql } from 'drizzle-orm';
import { staff, staffWards } from '../db/schema.js';
import { wardScope, type TenantPrincipal } from './principal.js';

/**
 * The staff records a caller may see: everyone in their organisation for organisation-wide
 * roles, otherwise the people on the caller's wards (a middle manager sees their wards' staff).
 */
export function visibleStaff(principal: TenantPrincipal) {
  const scope = wardScope(principal);
  if (scope === 'all') return eq(staff.organisationId, principal.organisationId);
  return and(
    eq(staff.organisationId, principal.organisationId),
    scope.length === 0
      ? sql`false`
      : sql`exists (select 1 from ${staffWards} where ${staffWards.staffId} = ${staff.id} and ${inArray(staffWards.wardId, scope)})`,
  );
}
