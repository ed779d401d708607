import { and, asc, eq, sql } from 'drizzle-orm';
import { actorOf, recordAudit, diff, textRef } from '../audit/record.js';
import { isWardStaff, type TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { escalationAssignees, escalations, itemPriorities, items, priorities, staff, wards } from '../db/schema.js';
import { statementAlias } from '../db/sql.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { getItem } from '../items/service.js';
import { identifierPolicyOf, refuseIdentifiers, screenFreeText, textFields } from '../screening/free-text.js';
import { liveItem } from '../items/conditions.js';

export type PriorityRow = typeof priorities.$inferSelect;

export interface PriorityInput {
  title: string;
  description?: string | undefined;
  level: 'organisation' | 'division' | 'ward';
  wardId?: string | undefined;
  division?: string | undefined;
  ownerStaffId: string;
  active?: boolean | undefined;
}

export function presentPriority(row: PriorityRow, linkedItems = 0, openLinkedItems = 0) {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    level: row.level,
    wardId: row.wardId,
    division: row.division,
    ownerStaffId: row.ownerStaffId,
    active: row.active,
    linkedItems,
    openLinkedItems,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

async function validate(db: Executor, organisationId: string, input: PriorityInput) {
  const errors: { path: string; message: string }[] = [];
  if (input.level === 'ward' && !input.wardId)
    errors.push({ path: 'body.wardId', message: 'is required for a ward priority' });
  if (input.level === 'division' && !input.division) {
    errors.push({ path: 'body.division', message: 'is required for a division priority' });
  }
  if (input.wardId) {
    const [ward] = await db
      .select({ id: wards.id })
      .from(wards)
      .where(and(eq(wards.id, input.wardId), eq(wards.organisationId, organisationId)));
    if (!ward) errors.push({ path: 'body.wardId', message: 'no such ward in this organisation' });
  }
  const [owner] = await db
    .select({ id: staff.id })
    .from(staff)
    .where(and(eq(staff.id, input.ownerStaffId), eq(staff.organisationId, organisationId)));
  if (!owner) errors.push({ path: 'body.ownerStaffId', message: 'no such staff member in this organisation' });
  if (errors.length > 0)
    throw new AppError('validation_failed', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
}

/**
 * Title and division are names: an identifier in one is refused. The description is prose: it
 * follows the organisation's policy (refused, or stored redacted).
 */
async function screened(db: Database, principal: TenantPrincipal, input: Partial<PriorityInput>) {
  refuseIdentifiers(textFields({ title: input.title, division: input.division }));
  if (!input.description) return input.description;
  const fields = textFields({ description: input.description });
  const screen = screenFreeText(fields, await identifierPolicyOf(db, principal.organisationId));
  return screen.redactedText('description', input.description);
}

export async function createPriority(db: Database, principal: TenantPrincipal, given: PriorityInput) {
  const input = { ...given, description: await screened(db, principal, given) };
  await validate(db, principal.organisationId, input);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(priorities)
      .values({
        organisationId: principal.organisationId,
        title: input.title,
        description: input.description ?? null,
        level: input.level,
        wardId: input.level === 'ward' ? input.wardId! : null,
        division: input.level === 'division' ? input.division! : null,
        ownerStaffId: input.ownerStaffId,
        active: input.active ?? true,
      })
      .returning();
    await recordAudit(tx, {
      organisationId: principal.organisationId,
      actor: actorOf(principal),
      entityType: 'priority',
      entityId: row!.id,
      action: 'created',
      changes: {
        title: textRef(row!.title),
        level: row!.level,
        wardId: row!.wardId,
        division: row!.division,
        active: row!.active,
      },
    });
    return presentPriority(row!);
  });
}

/** The linked items as the counts below name them (`items i`). */
const linked = statementAlias(items, 'i');

export async function listPriorities(db: Database, principal: TenantPrincipal) {
  const rows = await db
    .select({
      priority: priorities,
      // Qualified by hand: drizzle renders a lone column unqualified, which the subquery would capture.
      linkedItems: sql<number>`(select count(*)::int from item_priorities ip join items i on i.id = ip.item_id
        where ip.priority_id = priorities.id and ${liveItem(linked)})`,
      openLinkedItems: sql<number>`(select count(*)::int from item_priorities ip join items i on i.id = ip.item_id
        where ip.priority_id = priorities.id and i.status = 'open' and ${liveItem(linked)})`,
    })
    .from(priorities)
    .where(eq(priorities.organisationId, principal.organisationId))
    .orderBy(asc(priorities.title));
  return rows.map((r) => presentPriority(r.priority, r.linkedItems, r.openLinkedItems));
}

async function loadPriority(db: Executor, principal: TenantPrincipal, id: string) {
  const [row] = await db
    .select()
    .from(priorities)
    .where(and(eq(priorities.id, id), eq(priorities.organisationId, principal.organisationId)));
  if (!row) throw notFound('Priority');
  return row;
}

export async function updatePriority(
  db: Database,
  principal: TenantPrincipal,
  id: string,
  given: Partial<PriorityInput>,
) {
  const current = await loadPriority(db, principal, id);
  const patch = { ...given, description: await screened(db, principal, given) };
  const merged: PriorityInput = {
    title: patch.title ?? current.title,
    description: patch.description ?? current.description ?? undefined,
    level: patch.level ?? current.level,
    wardId: patch.wardId ?? current.wardId ?? undefined,
    division: patch.division ?? current.division ?? undefined,
    ownerStaffId: patch.ownerStaffId ?? current.ownerStaffId,
    active: patch.active ?? current.active,
  };
  await validate(db, principal.organisationId, merged);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(priorities)
      .set({
        title: merged.title,
        description: merged.description ?? null,
        level: merged.level,
        wardId: merged.level === 'ward' ? merged.wardId! : null,
        division: merged.level === 'division' ? merged.division! : null,
        ownerStaffId: merged.ownerStaffId,
        active: merged.active ?? true,
        updatedAt: new Date(),
      })
      .where(eq(priorities.id, id))
      .returning();
    await recordAudit(tx, {
      organisationId: principal.organisationId,
      actor: actorOf(principal),
      entityType: 'priority',
      entityId: id,
      action: 'changed',
      changes: {
        ...diff(current, row!, ['level', 'wardId', 'division', 'ownerStaffId', 'active']),
        // That the text changed, never the text itself.
        ...(current.title === row!.title ? {} : { title: { from: textRef(current.title), to: textRef(row!.title) } }),
        ...(current.description === row!.description
          ? {}
          : { description: { from: textRef(current.description), to: textRef(row!.description) } }),
      },
    });
    return presentPriority(row!);
  });
}

/**
 * Who may link an item to a priority: the staff of its ward, senior managers, and middle
 * managers who look after the ward or have held the item's escalation.
 */
async function assertMayLink(db: Executor, principal: TenantPrincipal, item: { id: string; wardId: string }) {
  if (isWardStaff(principal, item.wardId) || principal.role === 'senior_manager') return;
  if (principal.role === 'middle_manager') {
    if (principal.wardIds.includes(item.wardId)) return;
    const [held] = await db
      .select({ id: escalations.id })
      .from(escalations)
      .innerJoin(escalationAssignees, eq(escalationAssignees.escalationId, escalations.id))
      .where(and(eq(escalations.itemId, item.id), eq(escalationAssignees.staffId, principal.staffId!)))
      .limit(1);
    if (held) return;
  }
  throw notFound('Item');
}

/**
 * An item is linked only to an active priority that covers its ward: the organisation's, its
 * division's, or its own ward's. A link elsewhere would count the item as aligned with another
 * ward's work in the alignment reports.
 */
async function assertPriorityCovers(
  db: Executor,
  priority: Awaited<ReturnType<typeof loadPriority>>,
  itemWardId: string,
) {
  if (!priority.active) throw conflict('The priority is no longer active');
  if (priority.level === 'organisation') return;
  const [ward] = await db.select({ division: wards.division }).from(wards).where(eq(wards.id, itemWardId));
  const covers = priority.level === 'ward' ? priority.wardId === itemWardId : priority.division === ward?.division;
  if (!covers) {
    throw new AppError('unprocessable', `The priority is of another ${priority.level} than the item's ward`, {
      errors: [{ path: 'body.priorityId', message: `names a priority of another ${priority.level}` }],
    });
  }
}

export async function linkPriority(db: Database, principal: TenantPrincipal, itemId: string, priorityId: string) {
  const item = await getItem(db, principal, itemId);
  await assertMayLink(db, principal, item);
  const priority = await loadPriority(db, principal, priorityId);
  await assertPriorityCovers(db, priority, item.wardId);
  try {
    await db.transaction(async (tx) => {
      await tx.insert(itemPriorities).values({ itemId, priorityId: priority.id, linkedByTokenId: principal.tokenId });
      await recordAudit(tx, {
        organisationId: principal.organisationId,
        actor: actorOf(principal),
        entityType: 'item',
        entityId: itemId,
        action: 'priority_linked',
        changes: { priorityId: priority.id },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('The item is already linked to that priority');
    throw error;
  }
  return item;
}

export async function unlinkPriority(db: Database, principal: TenantPrincipal, itemId: string, priorityId: string) {
  const item = await getItem(db, principal, itemId);
  await assertMayLink(db, principal, item);
  await db.transaction(async (tx) => {
    const removed = await tx
      .delete(itemPriorities)
      .where(and(eq(itemPriorities.itemId, itemId), eq(itemPriorities.priorityId, priorityId)))
      .returning();
    if (removed.length === 0) throw notFound('Priority link');
    await recordAudit(tx, {
      organisationId: principal.organisationId,
      actor: actorOf(principal),
      entityType: 'item',
      entityId: itemId,
      action: 'priority_unlinked',
      changes: { priorityId },
    });
  });
  return item;
}
