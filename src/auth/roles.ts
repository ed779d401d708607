import type { Role } from '../domain/taxonomy.js';

/** Named role groups used in route declarations, so a route says who may call it at a glance. */
export const TENANT_ROLES = [
  'org_admin',
  'ward_device',
  'clinician',
  'middle_manager',
  'senior_manager',
  'governance',
] as const satisfies readonly Role[];

export const WARD_STAFF = ['ward_device', 'clinician'] as const satisfies readonly Role[];
export const MANAGERS = ['middle_manager', 'senior_manager'] as const satisfies readonly Role[];
export const ORG_ADMIN = ['org_admin'] as const satisfies readonly Role[];
export const PLATFORM_ADMIN = ['platform_admin'] as const satisfies readonly Role[];
