import { and, asc, eq, inArray, isNotNull, or } from 'drizzle-orm';
import { presentAuditEvent } from '../audit/service.js';
import { sealAuditTrail } from '../audit/sealer.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { auditEvents, escalations } from '../db/schema.js';
import { getItem } from './service.js';

/** An item's events in order: the item itself, its escalations, positions and links. */
export async function itemTimeline(db: Database, principal: TenantPrincipal, itemId: string) {
  const item = await getItem(db, principal, itemId, { voided: true });
  await sealAuditTrail(db, principal.organisationId, { wait: true });
  const escalationIds = (
    await db.select({ id: escalations.id }).from(escalations).where(eq(escalations.itemId, item.id))
  ).map((e) => e.id);
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.organisationId, principal.organisationId),
        isNotNull(auditEvents.seq),
        or(
          and(eq(auditEvents.entityType, 'item'), eq(auditEvents.entityId, item.id)),
          escalationIds.length
            ? and(eq(auditEvents.entityType, 'escalation'), inArray(auditEvents.entityId, escalationIds))
            : undefined,
        ),
      ),
    )
    .orderBy(asc(auditEvents.seq));
  return rows.map(presentAuditEvent);
}
