import type { Role } from '../domain/taxonomy.js';
import { AppError, notFound } from '../http/errors.js';

/** Who is calling: resolved once per request from the bearer token. */
export interface Principal {
  tokenId: string;
  role: Role;
  /** Null only for the platform administrator, who manages organisations but reads no tenant data. */
  organisationId: string | null;
  staffId: string | null;
  /** The wards this caller is attached to: the device's ward, or the staff record's wards. */
  wardIds: string[];
  /** The request this principal acts in, so the audit trail can name it. */
  requestId?: string;
}

export interface TenantPrincipal extends Principal {
  organisationId: string;
}

/** Roles that see every ward of their organisation. */
const ORGANISATION_WIDE_ROLES: ReadonlySet<Role> = new Set(['org_admin', 'senior_manager', 'governance']);

/** The wards whose data the caller may read: 'all' of its organisation, or a list. */
export function wardScope(principal: TenantPrincipal): 'all' | string[] {
  return ORGANISATION_WIDE_ROLES.has(principal.role) ? 'all' : principal.wardIds;
}

export function canReadWard(principal: TenantPrincipal, wardId: string): boolean {
  const scope = wardScope(principal);
  return scope === 'all' || scope.includes(wardId);
}

/** Ward staff: the ward's own device and the clinicians listed on it. */
export function isWardStaff(principal: TenantPrincipal, wardId: string): boolean {
  return (principal.role === 'ward_device' || principal.role === 'clinician') && principal.wardIds.includes(wardId);
}

export function requireTenant(principal: Principal): TenantPrincipal {
  if (principal.organisationId === null) {
    throw new AppError('forbidden', 'The platform administrator manages organisations only');
  }
  return principal as TenantPrincipal;
}

/** Objects outside the caller's reach are reported as missing, so their ids are never confirmed. */
export function assertWardReadable(principal: TenantPrincipal, wardId: string, what: string) {
  if (!canReadWard(principal, wardId)) throw notFound(what);
}
