import { eq } from 'drizzle-orm';
import { auditInsert } from '../audit/record.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { items } from '../db/schema.js';
import type { ServiceDeps } from '../deps.js';
import { closeEscalation, lockOpenEscalation } from '../escalations/reevaluate.js';
import { screenFreeText } from '../screening/free-text.js';
import { correctorOf, lockItem, mayCorrect, recordCorrection, settingsOf } from './shared.js';

/**
 * Voids an item entered in error, with a reason. It leaves every list and report (they read
 * items through liveItem, src/items/conditions.ts); the audit trail and its corrections keep it.
 * Its open escalation closes with the outcome `voided`, and the pending timer stops.
 */
export async function voidItem(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  itemId: string,
  input: { reason: string },
  now = new Date(),
) {
  const settings = await settingsOf(deps.db, principal.organisationId);
  const reason = screenFreeText([{ path: 'reason', text: input.reason }], settings.identifierPolicy).redactedText(
    'reason',
    input.reason,
  );
  const result = await deps.db.transaction(async (tx) => {
    const item = await lockItem(tx, principal, itemId, { voided: 'refuse', mayAct: mayCorrect });
    await tx.update(items).set({ voidedAt: now }).where(eq(items.id, item.id));
    const who = correctorOf(principal, settings.webhook, now);
    const escalation = await lockOpenEscalation(tx, item.id);
    const changes = { voided: true, status: item.status, ...(escalation ? { escalationId: escalation.id } : {}) };
    const correction = await recordCorrection(tx, item, { action: 'voided', changes, reason }, who);
    await tx.execute(auditInsert([correction.audit]));
    if (escalation) await closeEscalation(tx, escalation, 'voided', who);
    return {
      id: item.id,
      voidedAt: now.toISOString(),
      correctionId: correction.id,
      closedEscalationId: escalation?.id ?? null,
    };
  });
  deps.relay.nudge();
  return result;
}
