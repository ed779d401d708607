import { eq } from 'drizzle-orm';
import { auditInsert } from '../audit/record.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { items } from '../db/schema.js';
import type { ServiceDeps } from '../deps.js';
import { closeEscalation } from '../escalations/reevaluate.js';
import { carryByOpenRepeat, lockJoinedEscalation, openJoinedItems } from '../escalations/threads.js';
import { screenFreeText } from '../screening/free-text.js';
import { correctorOf, lockItem, mayCorrect, recordCorrection, settingsOf } from './shared.js';

/**
 * Voids an item entered in error, with a reason. It leaves every list and report (they read
 * items through liveItem, src/items/conditions.ts); the audit trail and its corrections keep it.
 * The open escalation it is joined to (its own, or its thread's that it joined as a repeat) closes
 * with the outcome `voided`, and the pending timer stops, unless another item joined to it is
 * still open: the escalation then stays open, carried by that repeat.
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
    const joined = await lockJoinedEscalation(tx, item);
    const escalation = joined && (await openJoinedItems(tx, joined)) === 0 ? joined : null;
    const carriedBy = joined && !escalation && joined.itemId === item.id ? await carryByOpenRepeat(tx, joined) : null;
    const changes = {
      voided: true,
      status: item.status,
      ...(escalation ? { escalationId: escalation.id } : {}),
      ...(carriedBy ? { escalationId: joined!.id, escalationCarriedBy: carriedBy } : {}),
    };
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
