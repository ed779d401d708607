import { and, eq, inArray, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { staff, staffWards } from '../db/schema.js';
import { assertWardReadable, wardScope, type TenantPrincipal } from './principal.js';

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

/**
 * Which wards' rows a list reads: the ward asked for (404 when out of the caller's reach), or
 * every ward in the caller's scope; null when the caller has no ward at all (an empty list).
 */
export function listedWards(
  principal: TenantPrincipal,
  wardId: string | undefined,
  column: AnyColumn,
): SQL | undefined | null {
  if (wardId) {
    assertWardReadable(principal, wardId, 'Ward');
    return eq(column, wardId);
  }
  const scope = wardScope(principal);
  if (scope === 'all') return undefined;
  return scope.length === 0 ? null : inArray(column, scope);
}
