import { and, eq } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Executor } from '../db/client.js';
import { isCovering } from '../cover/queries.js';
import { escalationAssignees } from '../db/schema.js';

/** Org-wide readers of escalations; everyone else needs to be on the ward or in the chain. */
const ORGANISATION_READERS = new Set(['org_admin', 'governance', 'senior_manager']);

/**
 * Who may read an escalation: its assignees past and present, the deputy covering its assignee
 * today, the staff of its ward, and organisation-wide readers. Everyone else is told it does not
 * exist.
 */
export async function canReadEscalation(
  db: Executor,
  principal: TenantPrincipal,
  escalation: { id: string; organisationId: string; wardId: string; assigneeStaffId: string },
  now = new Date(),
): Promise<boolean> {
  if (escalation.organisationId !== principal.organisationId) return false;
  if (ORGANISATION_READERS.has(principal.role)) return true;
  if (
    (principal.role === 'ward_device' || principal.role === 'clinician') &&
    principal.wardIds.includes(escalation.wardId)
  ) {
    return true;
  }
  if (!principal.staffId) return false;
  if (escalation.assigneeStaffId === principal.staffId) return true;
  if (await isCovering(db, principal.staffId, escalation.assigneeStaffId, now)) return true;
  const [held] = await db
    .select({ staffId: escalationAssignees.staffId })
    .from(escalationAssignees)
    .where(
      and(eq(escalationAssignees.escalationId, escalation.id), eq(escalationAssignees.staffId, principal.staffId)),
    );
  return Boolean(held);
}

/**
 * Whether the caller may act on the escalation as it stands: as its assignee, or as the deputy
 * covering the assignee today. Answers on whose behalf a deputy acts (null for the assignee).
 */
export async function actingFor(
  db: Executor,
  principal: TenantPrincipal,
  escalation: { assigneeStaffId: string },
  now = new Date(),
): Promise<{ onBehalfOf: string | null } | null> {
  if (!principal.staffId) return null;
  if (escalation.assigneeStaffId === principal.staffId) return { onBehalfOf: null };
  if (await isCovering(db, principal.staffId, escalation.assigneeStaffId, now)) {
    return { onBehalfOf: escalation.assigneeStaffId };
  }
  return null;
}
