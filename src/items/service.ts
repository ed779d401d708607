import { and, desc, eq, gte, lte, sql } from 'drizzle-orm';
import { canReadWard, isWardStaff, type TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { escalationAssignees, escalations, items, organisations } from '../db/schema.js';
import type { ServiceDeps } from '../deps.js';
import { recordPosition } from '../alignment/positions.js';
import { actorOf, recordAudit } from '../audit/record.js';
import type { RiskBand } from '../domain/risk.js';
import type { ItemCategory, ItemStatus } from '../domain/taxonomy.js';
import { conflict, notFound } from '../http/errors.js';
import { afterCursorNewestFirst, decodeCursor, paginate } from '../http/pagination.js';
import { listedWards } from '../auth/staff-scope.js';
import { screenFreeText } from '../screening/free-text.js';
import { liveItem } from './conditions.js';

export async function getItem(
  db: Database,
  principal: TenantPrincipal,
  itemId: string,
  options: { voided: boolean } = { voided: false },
) {
  const [row] = await db
    .select()
    .from(items)
    .where(
      and(
        eq(items.id, itemId),
        eq(items.organisationId, principal.organisationId),
        options.voided ? undefined : liveItem(),
      ),
    );
  if (!row) throw notFound('Item');
  if (!canReadWard(principal, row.wardId) && !(await heldEscalationOf(db, principal, row.id))) throw notFound('Item');
  return row;
}

/** Managers who hold or held an item's escalation may read the item, whatever their wards. */
async function heldEscalationOf(db: Database, principal: TenantPrincipal, itemId: string) {
  if (!principal.staffId) return false;
  const [held] = await db
    .select({ id: escalations.id })
    .from(escalations)
    .innerJoin(escalationAssignees, eq(escalationAssignees.escalationId, escalations.id))
    .where(and(eq(escalations.itemId, itemId), eq(escalationAssignees.staffId, principal.staffId)))
    .limit(1);
  return Boolean(held);
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
  const wardsListed = listedWards(principal, filter.wardId, items.wardId);
  if (wardsListed === null) return { data: [], nextCursor: null };
  const rows = await db
    .select()
    .from(items)
    .where(
      and(
        eq(items.organisationId, principal.organisationId),
        liveItem(),
        wardsListed,
        filter.status ? eq(items.status, filter.status) : undefined,
        filter.band ? eq(items.riskBand, filter.band) : undefined,
        filter.category ? eq(items.category, filter.category) : undefined,
        filter.from ? gte(items.raisedOn, filter.from) : undefined,
        filter.to ? lte(items.raisedOn, filter.to) : undefined,
        afterCursorNewestFirst(items.raisedOn, items.id, decodeCursor(filter.cursor)),
      ),
    )
    .orderBy(desc(items.raisedOn), desc(items.id))
    .limit(filter.limit + 1);
  return paginate(rows, filter.limit, (row) => ({ after: row.raisedOn, id: row.id }));
}

/** Ward staff record or change the team's view: is change needed beyond the ward? */
export async function setClinicalPosition(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  itemId: string,
  input: { needsChange: boolean; rationale?: string | undefined },
) {
  const { db } = deps;
  const current = await getItem(db, principal, itemId);
  if (!isWardStaff(principal, current.wardId)) throw notFound('Item');
  if (current.kind === 'good_practice') throw conflict('Good practice has no position on change');
  const [organisation] = await db
    .select({ identifierPolicy: organisations.identifierPolicy })
    .from(organisations)
    .where(eq(organisations.id, principal.organisationId));
  const rationale = input.rationale
    ? screenFreeText(
        [{ path: 'rationale', text: input.rationale }],
        organisation?.identifierPolicy ?? 'reject',
      ).redactedText('rationale', input.rationale)
    : null;
  return db.transaction(async (tx) => {
    const [locked] = await tx.select().from(items).where(eq(items.id, itemId)).for('update');
    return recordPosition(
      tx,
      locked!,
      { side: 'clinical', needsChange: input.needsChange, rationale },
      { actor: actorOf(principal), staffId: principal.staffId, tokenId: principal.tokenId },
      new Date(),
    );
  });
}

/**
 * Ward staff undo a wrong repeat link. The item starts its own thread, and so do the items
 * that were linked to it as repeats (and their repeats in turn).
 */
export async function unlinkRecurrence(deps: ServiceDeps, principal: TenantPrincipal, itemId: string) {
  const { db } = deps;
  const current = await getItem(db, principal, itemId);
  if (!isWardStaff(principal, current.wardId)) throw notFound('Item');
  if (!current.recurrenceOf) throw conflict('The item is not linked as a repeat');
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(items)
      .set({ recurrenceOf: null, recurrenceSource: null, threadId: null })
      .where(eq(items.id, itemId))
      .returning();
    await tx.execute(sql`
      with recursive repeats as (
        select id from items where recurrence_of = ${itemId}
        union
        select i.id from items i join repeats r on i.recurrence_of = r.id
      )
      update items set thread_id = ${itemId} where id in (select id from repeats)`);
    await recordAudit(tx, {
      organisationId: current.organisationId,
      actor: actorOf(principal),
      entityType: 'item',
      entityId: itemId,
      action: 'recurrence_unlinked',
      changes: {
        recurrenceOf: { from: current.recurrenceOf, to: null },
        threadId: { from: current.threadId, to: null },
        source: current.recurrenceSource,
      },
    });
    return updated!;
  });
}
