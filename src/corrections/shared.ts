import { and, eq } from 'drizzle-orm';
import { actorOf, textRef, type AuditEntry } from '../audit/record.js';
import { isWardStaff, type TenantPrincipal } from '../auth/principal.js';
import type { Database, Transaction } from '../db/client.js';
import type { ItemRow } from '../db/rows.js';
import { itemCorrections, items, organisations } from '../db/schema.js';
import type { CorrectionAction } from '../domain/correction.js';
import type { Corrector } from '../escalations/reevaluate.js';
import { conflict, notFound } from '../http/errors.js';
import { hasWebhook } from '../webhooks/settings.js';

/** The organisation's settings a correction needs, read before its transaction. */
export async function settingsOf(db: Database, organisationId: string) {
  const [row] = await db
    .select({
      identifierPolicy: organisations.identifierPolicy,
      bandThresholds: organisations.bandThresholds,
      webhook: hasWebhook(),
    })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  if (!row) throw notFound('Organisation');
  return row;
}

/**
 * Who may correct an item: its ward's own staff (the device and the clinicians on the ward, who
 * recorded it) and the organisation's administrators. Managers may not: a manager who could
 * regrade an item could close the escalation that asks them to act.
 */
export function mayCorrect(principal: TenantPrincipal, wardId: string) {
  return principal.role === 'org_admin' || isWardStaff(principal, wardId);
}

/**
 * The item, locked for the correction: another organisation's item, or one the caller may not
 * correct, is not found; a voided item is 409 unless `voided` allows it (redaction reaches it).
 */
export async function lockItem(
  tx: Transaction,
  principal: TenantPrincipal,
  itemId: string,
  options: { voided: 'refuse' | 'allow'; mayAct: (principal: TenantPrincipal, wardId: string) => boolean },
): Promise<ItemRow> {
  const [item] = await tx
    .select()
    .from(items)
    .where(and(eq(items.id, itemId), eq(items.organisationId, principal.organisationId)))
    .for('update');
  if (!item || !options.mayAct(principal, item.wardId)) throw notFound('Item');
  if (item.voidedAt && options.voided === 'refuse') {
    throw conflict('The item was voided as entered in error; it can no longer be corrected', {
      voidedAt: item.voidedAt.toISOString(),
    });
  }
  return item;
}

export const correctorOf = (principal: TenantPrincipal, webhook: boolean, now: Date): Corrector => ({
  actor: actorOf(principal),
  staffId: principal.staffId,
  tokenId: principal.tokenId,
  webhook,
  now,
});

/**
 * The correction's row (with its reason) and its audit entry, which names the correction and
 * references the reason and any free text by length only: the trail never holds the text.
 */
export async function recordCorrection(
  tx: Transaction,
  item: ItemRow,
  correction: { action: CorrectionAction; changes: Record<string, unknown>; reason: string },
  who: Corrector,
): Promise<{ id: string; audit: AuditEntry }> {
  const [row] = await tx
    .insert(itemCorrections)
    .values({
      organisationId: item.organisationId,
      itemId: item.id,
      action: correction.action,
      changes: correction.changes,
      reason: correction.reason,
      actorStaffId: who.staffId,
      actorTokenId: who.tokenId,
      createdAt: who.now,
    })
    .returning({ id: itemCorrections.id });
  const audit: AuditEntry = {
    organisationId: item.organisationId,
    actor: who.actor,
    entityType: 'item',
    entityId: item.id,
    action: correction.action,
    changes: { ...correction.changes, correctionId: row!.id, reason: textRef(correction.reason) },
    at: who.now,
  };
  return { id: row!.id, audit };
}
