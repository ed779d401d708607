import { and, asc, eq } from 'drizzle-orm';
import { canReadWard, type TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { itemCorrections, items } from '../db/schema.js';
import { notFound } from '../http/errors.js';

/** An item's corrections, oldest first, with their reasons: voided items included. */
export async function listCorrections(db: Database, principal: TenantPrincipal, itemId: string) {
  const [item] = await db
    .select({ wardId: items.wardId })
    .from(items)
    .where(and(eq(items.id, itemId), eq(items.organisationId, principal.organisationId)));
  if (!item || !canReadWard(principal, item.wardId)) throw notFound('Item');
  const rows = await db
    .select()
    .from(itemCorrections)
    .where(eq(itemCorrections.itemId, itemId))
    .orderBy(asc(itemCorrections.createdAt), asc(itemCorrections.id));
  return rows.map((row) => ({
    id: row.id,
    action: row.action,
    changes: row.changes,
    reason: row.reason,
    actor: { staffId: row.actorStaffId, tokenId: row.actorTokenId },
    at: row.createdAt.toISOString(),
  }));
}
