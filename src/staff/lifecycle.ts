import { and, eq, isNull, ne } from 'drizzle-orm';
import { actorOf, recordAudits, textRef, type AuditEntry } from '../audit/record.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database, Transaction } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { apiTokens, escalations, staff, staffWards } from '../db/schema.js';
import type { Relay } from '../deps.js';
import type { StaffRole } from '../domain/taxonomy.js';
import { handOverEscalationsOf } from '../escalations/handover.js';
import { policiesNaming } from '../escalations/inactive-staff.js';
import { conflict, notFound } from '../http/errors.js';
import { identifierPolicyOf, refuseIdentifiers, screenFreeText, textFields } from '../screening/free-text.js';
import { assertWardsInOrganisation, presentStaff, wardIdsByStaff, type StaffRow } from './service.js';

/**
 * A staff member's life after they were added: edited (name, email, role, wards), deactivated
 * when they leave (their tokens revoked, what they hold handed over, their policies flagged) and
 * reactivated if they return. Only org admins do this (src/staff/routes.ts).
 */

const MANAGER_ROLES: readonly StaffRole[] = ['middle_manager', 'senior_manager'];

/** The staff member's row, locked for the rest of the transaction; 404 outside the organisation. */
async function lockStaff(tx: Transaction, principal: TenantPrincipal, staffId: string) {
  const [row] = await tx
    .select()
    .from(staff)
    .where(and(eq(staff.id, staffId), eq(staff.organisationId, principal.organisationId)))
    .for('update');
  if (!row) throw notFound('Staff member');
  return row;
}

export interface StaffChanges {
  name?: string | undefined;
  email?: string | undefined;
  role?: StaffRole | undefined;
  wardIds?: string[] | undefined;
}

/** A manager named in a policy, or holding an open escalation, keeps a manager's role until handed over. */
async function assertRoleChangeAllowed(tx: Transaction, principal: TenantPrincipal, row: StaffRow, role: StaffRole) {
  if (role === row.role) return;
  if (row.id === principal.staffId) throw conflict('You cannot change your own role; ask another org admin');
  if (!MANAGER_ROLES.includes(row.role) || MANAGER_ROLES.includes(role)) return;
  const wardIds = await policiesNaming(tx, principal.organisationId, row.id);
  const held = await tx
    .select({ id: escalations.id })
    .from(escalations)
    .where(and(eq(escalations.assigneeStaffId, row.id), ne(escalations.state, 'resolved')));
  if (wardIds.length > 0 || held.length > 0) {
    throw conflict(
      'This manager is named in escalation policies or holds open escalations: change those policies and reassign those escalations first',
      { policyWardIds: wardIds, escalationIds: held.map((e) => e.id) },
    );
  }
}

/** Edits a staff member; a deactivated one cannot be edited (409) until reactivated. */
export async function updateStaff(db: Database, principal: TenantPrincipal, staffId: string, input: StaffChanges) {
  refuseIdentifiers(textFields({ name: input.name }));
  try {
    return await db.transaction(async (tx) => {
      const row = await lockStaff(tx, principal, staffId);
      if (row.deactivatedAt) throw conflict('A deactivated staff member cannot be edited; reactivate them first');
      if (input.role) await assertRoleChangeAllowed(tx, principal, row, input.role);
      const beforeWards = (await wardIdsByStaff(tx, [row.id])).get(row.id) ?? [];
      const wardIds = input.wardIds ? [...new Set(input.wardIds)] : beforeWards;
      if (input.wardIds) await assertWardsInOrganisation(tx, principal.organisationId, wardIds);
      const [updated] = await tx
        .update(staff)
        .set({ name: input.name ?? row.name, email: input.email ?? row.email, role: input.role ?? row.role })
        .where(eq(staff.id, row.id))
        .returning();
      if (input.wardIds) {
        await tx.delete(staffWards).where(eq(staffWards.staffId, row.id));
        if (wardIds.length > 0)
          await tx.insert(staffWards).values(wardIds.map((wardId) => ({ staffId: row.id, wardId })));
      }
      await recordAudits(tx, [
        {
          organisationId: principal.organisationId,
          actor: actorOf(principal),
          entityType: 'staff',
          entityId: row.id,
          action: 'changed',
          changes: staffChanges(row, updated!, beforeWards, wardIds),
        },
      ]);
      return presentStaff(updated!, wardIds);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`A staff member with email ${input.email} already exists`);
    throw error;
  }
}

/** What an edit changed: the role and wards as from/to; a name or email only as changed (no personal data in the trail). */
function staffChanges(before: StaffRow, after: StaffRow, beforeWards: string[], afterWards: string[]) {
  const changes: Record<string, unknown> = {};
  if (before.name !== after.name) changes.name = 'changed';
  if (before.email !== after.email) changes.email = 'changed';
  if (before.role !== after.role) changes.role = { from: before.role, to: after.role };
  const added = afterWards.filter((id) => !beforeWards.includes(id));
  const removed = beforeWards.filter((id) => !afterWards.includes(id));
  if (added.length > 0 || removed.length > 0) changes.wardIds = { added, removed };
  return changes;
}

/**
 * Deactivates a staff member in one transaction: their tokens are revoked, every escalation
 * they hold moves on at once (src/escalations/handover.ts), and the policies naming them are
 * listed as needing attention (new escalations skip them meanwhile). Nothing is written when an
 * escalation has nobody to go to (409), when they are already deactivated (409), or for oneself.
 */
export async function deactivateStaff(
  deps: { db: Database; relay: Relay },
  principal: TenantPrincipal,
  staffId: string,
  reason: string,
) {
  const policy = await identifierPolicyOf(deps.db, principal.organisationId);
  const cleanReason = screenFreeText([{ path: 'reason', text: reason }], policy).redactedText('reason', reason);
  const result = await deps.db.transaction(async (tx) => {
    const now = new Date();
    const row = await lockStaff(tx, principal, staffId);
    if (row.deactivatedAt) {
      throw conflict('The staff member is already deactivated', { deactivatedAt: row.deactivatedAt.toISOString() });
    }
    if (row.id === principal.staffId) throw conflict('You cannot deactivate yourself; ask another org admin');
    const [updated] = await tx
      .update(staff)
      .set({ deactivatedAt: now, deactivationReason: cleanReason })
      .where(eq(staff.id, row.id))
      .returning();
    const revoked = await tx
      .update(apiTokens)
      .set({ revokedAt: now })
      .where(and(eq(apiTokens.staffId, row.id), isNull(apiTokens.revokedAt)))
      .returning();
    const actor = actorOf(principal);
    const handedOver = await handOverEscalationsOf(
      tx,
      { organisationId: principal.organisationId, staffId: row.id },
      { audit: actor, staffId: principal.staffId, tokenId: principal.tokenId },
      now,
    );
    const policyWardIds = await policiesNaming(tx, principal.organisationId, row.id);
    const audit: AuditEntry[] = revoked.map((token) => ({
      organisationId: principal.organisationId,
      actor,
      entityType: 'token',
      entityId: token.id,
      action: 'revoked',
      changes: {
        kind: token.kind,
        staffId: token.staffId,
        wardId: token.wardId,
        label: token.label,
        why: 'staff_deactivated',
      },
      at: now,
    }));
    audit.push({
      organisationId: principal.organisationId,
      actor,
      entityType: 'staff',
      entityId: row.id,
      action: 'deactivated',
      changes: {
        deactivatedAt: now.toISOString(),
        reason: textRef(cleanReason),
        revokedTokenIds: revoked.map((t) => t.id),
        escalationsHandedOver: handedOver.map((h) => ({ id: h.escalationId, to: h.staffId, via: h.via })),
        policiesNeedingAttention: policyWardIds,
      },
      at: now,
    });
    await recordAudits(tx, audit);
    const wardIds = (await wardIdsByStaff(tx, [row.id])).get(row.id) ?? [];
    return {
      ...presentStaff(updated!, wardIds),
      revokedTokenIds: revoked.map((t) => t.id),
      handedOver: handedOver.map((h) => ({
        escalationId: h.escalationId,
        assigneeStaffId: h.staffId,
        level: h.level + 1,
        via: h.via,
      })),
      policiesNeedingAttention: policyWardIds,
    };
  });
  deps.relay.nudge();
  return result;
}

/** A deactivated staff member returns: active again, with no tokens (issue new ones). */
export async function reactivateStaff(db: Database, principal: TenantPrincipal, staffId: string) {
  return db.transaction(async (tx) => {
    const row = await lockStaff(tx, principal, staffId);
    if (!row.deactivatedAt) throw conflict('The staff member is active');
    const [updated] = await tx
      .update(staff)
      .set({ deactivatedAt: null, deactivationReason: null })
      .where(eq(staff.id, row.id))
      .returning();
    await recordAudits(tx, [
      {
        organisationId: principal.organisationId,
        actor: actorOf(principal),
        entityType: 'staff',
        entityId: row.id,
        action: 'reactivated',
        changes: { deactivatedAt: { from: row.deactivatedAt.toISOString(), to: null } },
      },
    ]);
    const wardIds = (await wardIdsByStaff(tx, [row.id])).get(row.id) ?? [];
    return presentStaff(updated!, wardIds);
  });
}
