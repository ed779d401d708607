/** Stable API codes for the briefing programme's vocabulary (domain reference, section 2). */

export const ITEM_CATEGORIES = [
  'staffing',
  'equipment',
  'medication',
  'communication',
  'patient_flow',
  'it_information',
  'estates_environment',
  'infection_prevention',
  'diagnostics',
  'clinical_process',
  'governance_admin',
  'other',
] as const;
export type ItemCategory = (typeof ITEM_CATEGORIES)[number];

/** problem: went wrong; risk: could go wrong; good_practice: went well (never escalated). */
export const ITEM_KINDS = ['problem', 'risk', 'good_practice'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

export const HARM_LEVELS = ['none', 'low', 'moderate', 'severe', 'fatal'] as const;
export type HarmLevel = (typeof HARM_LEVELS)[number];

export const SHIFTS = ['day', 'night'] as const;
export type Shift = (typeof SHIFTS)[number];

export const ITEM_STATUSES = ['open', 'resolved'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const ROLES = [
  'platform_admin',
  'org_admin',
  'ward_device',
  'clinician',
  'middle_manager',
  'senior_manager',
  'governance',
] as const;
export type Role = (typeof ROLES)[number];

/** Roles a staff record can hold (ward devices and the platform admin are not staff). */
export const STAFF_ROLES = ['org_admin', 'clinician', 'middle_manager', 'senior_manager', 'governance'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const IDENTIFIER_POLICIES = ['reject', 'redact'] as const;
export type IdentifierPolicy = (typeof IDENTIFIER_POLICIES)[number];

/**
 * What stands in the way of a change a manager is asked for (the research's barriers): stated
 * with a manager's position, so the board can see why agreement fails. `time` is the manager's
 * own time for improvement work; `doubt_benefit`, doubt that the change repays what it costs.
 */
export const BARRIERS = [
  'funding',
  'workforce',
  'time',
  'estates',
  'equipment_supply',
  'it_systems',
  'other_department',
  'policy_regulation',
  'competing_priorities',
  'doubt_benefit',
  'other',
] as const;
export type Barrier = (typeof BARRIERS)[number];
