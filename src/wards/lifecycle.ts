import { and, eq, isNull } from 'drizzle-orm';
import { actorOf, diff, recordAudits, textRef, type AuditEntry } from '../audit/record.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database, Transaction } from '../db/client.js';
import { apiTokens, wards } from '../db/schema.js';
import { conflict, notFound } from '../http/errors.js';
import { identifierPolicyOf, refuseIdentifiers, screenFreeText, textFields } from '../screening/free-text.js';
import type { WardRow } from './service.js';

/**
 * A ward's life after it was added: renamed or moved (name, site, division), closed and
 * reopened. A closed ward takes no new briefings and has no device tokens; its open items stay
 * open, for its managers to work and its reports to count, until they are resolved.
 */

async function lockWard(tx: Transaction, principal: TenantPrincipal, wardId: string) {
  const [row] = await tx
    .select()
    .from(wards)
    .where(and(eq(wards.id, wardId), eq(wards.organisationId, principal.organisationId)))
    .for('update');
  if (!row) throw notFound('Ward');
  return row;
}

export interface WardChanges {
  name?: string | undefined;
  /** null clears it. */
  site?: string | null | undefined;
  division?: string | null | undefined;
}

export async function updateWard(db: Database, principal: TenantPrincipal, wardId: string, input: WardChanges) {
  refuseIdentifiers(textFields({ name: input.name, site: input.site, division: input.division }));
  return db.transaction(async (tx) => {
    const row = await lockWard(tx, principal, wardId);
    const [updated] = await tx
      .update(wards)
      .set({
        name: input.name ?? row.name,
        site: input.site === undefined ? row.site : input.site,
        division: input.division === undefined ? row.division : input.division,
      })
      .where(eq(wards.id, row.id))
      .returning();
    await recordAudits(tx, [
      {
        organisationId: principal.organisationId,
        actor: actorOf(principal),
        entityType: 'ward',
        entityId: row.id,
        action: 'changed',
        changes: diff<WardRow>(row, updated!, ['name', 'site', 'division']),
      },
    ]);
    return updated!;
  });
}

/**
 * Closes a ward: it takes no new briefings (POST /v1/briefings answers 409), and its device
 * tokens are revoked at once, since a closed ward's tablet is redeployed or stored unattended.
 * Its open items and escalations stay as they are: managers act on them, clinicians on the ward
 * may still resolve its items, and reports count them.
 */
export async function closeWard(db: Database, principal: TenantPrincipal, wardId: string, reason: string) {
  const policy = await identifierPolicyOf(db, principal.organisationId);
  const cleanReason = screenFreeText([{ path: 'reason', text: reason }], policy).redactedText('reason', reason);
  return db.transaction(async (tx) => {
    const now = new Date();
    const row = await lockWard(tx, principal, wardId);
    if (row.closedAt) throw conflict('The ward is already closed', { closedAt: row.closedAt.toISOString() });
    const [updated] = await tx
      .update(wards)
      .set({ closedAt: now, closureReason: cleanReason })
      .where(eq(wards.id, row.id))
      .returning();
    const revoked = await tx
      .update(apiTokens)
      .set({ revokedAt: now })
      .where(and(eq(apiTokens.wardId, row.id), isNull(apiTokens.revokedAt)))
      .returning();
    const actor = actorOf(principal);
    const audit: AuditEntry[] = revoked.map((token) => ({
      organisationId: principal.organisationId,
      actor,
      entityType: 'token',
      entityId: token.id,
      action: 'revoked',
      changes: { kind: token.kind, staffId: null, wardId: token.wardId, label: token.label, why: 'ward_closed' },
      at: now,
    }));
    audit.push({
      organisationId: principal.organisationId,
      actor,
      entityType: 'ward',
      entityId: row.id,
      action: 'closed',
      changes: { closedAt: now.toISOString(), reason: textRef(cleanReason), revokedTokenIds: revoked.map((t) => t.id) },
      at: now,
    });
    await recordAudits(tx, audit);
    return { ward: updated!, revokedTokenIds: revoked.map((t) => t.id) };
  });
}

/** A closed ward opens again; its revoked device tokens stay revoked (issue a new one). */
export async function reopenWard(db: Database, principal: TenantPrincipal, wardId: string) {
  return db.transaction(async (tx) => {
    const row = await lockWard(tx, principal, wardId);
    if (!row.closedAt) throw conflict('The ward is open');
    const [updated] = await tx
      .update(wards)
      .set({ closedAt: null, closureReason: null })
      .where(eq(wards.id, row.id))
      .returning();
    await recordAudits(tx, [
      {
        organisationId: principal.organisationId,
        actor: actorOf(principal),
        entityType: 'ward',
        entityId: row.id,
        action: 'reopened',
        changes: { closedAt: { from: row.closedAt.toISOString(), to: null } },
      },
    ]);
    return updated!;
  });
}
