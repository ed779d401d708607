import { and, eq, sql } from 'drizzle-orm';
import { actorOf, recordAudits, textRef, type AuditEntry } from '../audit/record.js';
import { isWardStaff, type TenantPrincipal } from '../auth/principal.js';
import { escalations, items, organisations } from '../db/schema.js';
import type { ServiceDeps } from '../deps.js';
import { conflict, notFound } from '../http/errors.js';
import { getItem } from '../items/service.js';
import { screenFreeText } from '../screening/free-text.js';
import { recordEvents } from './history.js';
import { lockJoinedEscalation, openJoinedItems } from './threads.js';

/**
 * The ward resolved the item itself. The open escalation the item is joined to (its own, or its
 * thread's that it joined as a repeat) ends with it when no other item joined to it is still open
 * (outcome `fixed`, recorded as done by the ward), so the manager's chain stops; while a repeat is
 * open, the escalation stays with the manager.
 */
export async function resolveItemAtWard(deps: ServiceDeps, principal: TenantPrincipal, itemId: string, note: string) {
  const { db } = deps;
  const current = await getItem(db, principal, itemId);
  if (!isWardStaff(principal, current.wardId)) throw notFound('Item');
  const [organisation] = await db
    .select({ identifierPolicy: organisations.identifierPolicy })
    .from(organisations)
    .where(eq(organisations.id, principal.organisationId));
  const screen = screenFreeText([{ path: 'note', text: note }], organisation?.identifierPolicy ?? 'reject');
  const cleanNote = screen.redactedText('note', note);
  const row = await db.transaction(async (tx) => {
    const now = new Date();
    // The escalation before the item, in the order a manager's answer takes them: the other
    // order deadlocks with a manager answering at the same moment.
    const joined = await lockJoinedEscalation(tx, current);
    const [updated] = await tx
      .update(items)
      .set({ status: 'resolved', resolutionNote: cleanNote, resolvedAt: now, resolvedByTokenId: principal.tokenId })
      .where(and(eq(items.id, itemId), eq(items.status, 'open')))
      .returning();
    if (!updated) throw conflict('The item is already resolved');
    const audit: AuditEntry[] = [];
    audit.push({
      organisationId: updated.organisationId,
      actor: actorOf(principal),
      entityType: 'item',
      entityId: updated.id,
      action: 'resolved',
      changes: { status: { from: 'open', to: 'resolved' }, note: textRef(cleanNote), by: 'ward' },
      at: now,
    });
    if (!joined || (await openJoinedItems(tx, joined)) > 0) {
      await recordAudits(tx, audit);
      return updated;
    }
    const [open] = await tx
      .update(escalations)
      .set({
        state: 'resolved',
        resolvedAt: now,
        outcome: 'fixed',
        outcomeNote: cleanNote,
        nextStepAt: null,
        step: sql`${escalations.step} + 1`,
      })
      .where(eq(escalations.id, joined.id))
      .returning();
    if (open) {
      await recordEvents(tx, [
        {
          escalationId: open.id,
          type: 'resolved',
          step: open.step,
          level: open.level,
          assigneeStaffId: open.assigneeStaffId,
          actorStaffId: principal.staffId,
          actorTokenId: principal.tokenId,
          details: { outcome: 'fixed', by: 'ward', itemId: updated.id },
          at: now,
        },
      ]);
      audit.push({
        organisationId: open.organisationId,
        actor: actorOf(principal),
        entityType: 'escalation',
        entityId: open.id,
        action: 'resolved',
        changes: { state: { from: joined.state, to: 'resolved' }, outcome: 'fixed', by: 'ward', itemId: updated.id },
        at: now,
      });
    }
    await recordAudits(tx, audit);
    return updated;
  });
  deps.relay.nudge();
  return row;
}
