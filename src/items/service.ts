import { and, desc, eq, gte, inArray, lte, ne, or, lt, sql } from 'drizzle-orm';
import { assertWardReadable, isWardStaff, wardScope, type TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { escalations, items, organisations } from '../db/schema.js';
import type { ServiceDeps } from '../deps.js';
import { recordEvent } from '../escalations/engine.js';
import { actorOf, recordAudit, textRef } from '../audit/record.js';
import type { RiskBand } from '../domain/risk.js';
import type { ItemCategory, ItemStatus } from '../domain/taxonomy.js';
import { conflict, notFound } from '../http/errors.js';
import { decodeCursor, paginate } from '../http/pagination.js';
import { screenFreeText } from './screening.js';

export async function getItem(db: Database, principal: TenantPrincipal, itemId: string) {
  const [row] = await db
    .select()
    .from(items)
    .where(and(eq(items.id, itemId), eq(items.organisationId, principal.organisationId)));
  if (!row) throw notFound('Item');
  assertWardReadable(principal, row.wardId, 'Item');
  return row;
}

export interface ItemFilter {
  wardId?: string | undefined;
  status?: ItemStatus | undefined;
  band?: RiskBand | undefined;
  category?: ItemCategory | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** Newest first by the date raised; keyset pagination on (raised_on, id). */
export async function listItems(db: Database, principal: TenantPrincipal, filter: ItemFilter) {
  const scope = wardScope(principal);
  if (filter.wardId) assertWardReadable(principal, filter.wardId, 'Ward');
  else if (scope !== 'all' && scope.length === 0) return { data: [], nextCursor: null };
  const cursor = decodeCursor(filter.cursor);
  const rows = await db
    .select()
    .from(items)
    .where(
      and(
        eq(items.organisationId, principal.organisationId),
        filter.wardId ? eq(items.wardId, filter.wardId) : scope === 'all' ? undefined : inArray(items.wardId, scope),
        filter.status ? eq(items.status, filter.status) : undefined,
        filter.band ? eq(items.riskBand, filter.band) : undefined,
        filter.category ? eq(items.category, filter.category) : undefined,
        filter.from ? gte(items.raisedOn, filter.from) : undefined,
        filter.to ? lte(items.raisedOn, filter.to) : undefined,
        cursor
          ? or(lt(items.raisedOn, cursor.after), and(eq(items.raisedOn, cursor.after), lt(items.id, cursor.id)))
          : undefined,
      ),
    )
    .orderBy(desc(items.raisedOn), desc(items.id))
    .limit(filter.limit + 1);
  return paginate(rows, filter.limit, (row) => ({ after: row.raisedOn, id: row.id }));
}

/**
 * The ward resolved the item itself. An open escalation of the item ends with it (outcome
 * `fixed`, recorded as done by the ward), so the manager's chain stops.
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
    const [updated] = await tx
      .update(items)
      .set({ status: 'resolved', resolutionNote: cleanNote, resolvedAt: now, resolvedByTokenId: principal.tokenId })
      .where(and(eq(items.id, itemId), eq(items.status, 'open')))
      .returning();
    if (!updated) throw conflict('The item is already resolved');
    await recordAudit(tx, {
      organisationId: updated.organisationId,
      actor: actorOf(principal),
      entityType: 'item',
      entityId: updated.id,
      action: 'resolved',
      changes: { status: { from: 'open', to: 'resolved' }, note: textRef(cleanNote), by: 'ward' },
      at: now,
    });
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
      .where(and(eq(escalations.itemId, itemId), ne(escalations.state, 'resolved')))
      .returning();
    if (open) {
      await recordEvent(tx, {
        escalationId: open.id,
        type: 'resolved',
        step: open.step,
        level: open.level,
        assigneeStaffId: open.assigneeStaffId,
        actorStaffId: principal.staffId,
        actorTokenId: principal.tokenId,
        details: { outcome: 'fixed', by: 'ward' },
        at: now,
      });
      await recordAudit(tx, {
        organisationId: open.organisationId,
        actor: actorOf(principal),
        entityType: 'escalation',
        entityId: open.id,
        action: 'resolved',
        changes: { state: { from: 'open', to: 'resolved' }, outcome: 'fixed', by: 'ward' },
        at: now,
      });
    }
    return updated;
  });
  deps.relay.nudge();
  return row;
}
