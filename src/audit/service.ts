import { and, asc, eq, gt, inArray, or } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { auditEvents, escalations } from '../db/schema.js';
import { getItem } from '../items/service.js';
import { eventHash, GENESIS_HASH } from './chain.js';

type AuditRow = typeof auditEvents.$inferSelect;

export function presentAuditEvent(row: AuditRow) {
  return {
    id: row.id,
    seq: row.seq,
    at: row.occurredAt.toISOString(),
    actor: { type: row.actorType, id: row.actorId, role: row.actorRole },
    entityType: row.entityType,
    entityId: row.entityId,
    action: row.action,
    changes: row.changes,
    requestId: row.requestId,
  };
}

export type VerifyResult =
  | { ok: true; events: number; lastHash: string }
  | { ok: false; events: number; firstBrokenEventId: number; firstBrokenSeq: number; reason: string };

const BATCH = 5_000;

/** Recomputes the organisation's chain from the first event; reports the first that does not hold. */
export async function verifyAuditChain(db: Database, organisationId: string): Promise<VerifyResult> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let lastId = 0;
  let count = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.organisationId, organisationId), gt(auditEvents.id, lastId)))
      .orderBy(asc(auditEvents.id))
      .limit(BATCH);
    if (rows.length === 0) return { ok: true, events: count, lastHash: prevHash };
    for (const row of rows) {
      const broken = (reason: string): VerifyResult => ({
        ok: false,
        events: count,
        firstBrokenEventId: row.id,
        firstBrokenSeq: row.seq,
        reason,
      });
      if (row.seq !== expectedSeq) return broken(`expected sequence ${expectedSeq}, found ${row.seq} (an event is missing)`);
      if (row.prevHash !== prevHash) return broken('does not link to the event before it');
      const recomputed = eventHash(
        {
          organisationId: row.organisationId,
          seq: row.seq,
          occurredAt: row.occurredAt.toISOString(),
          actorType: row.actorType,
          actorId: row.actorId,
          actorRole: row.actorRole,
          entityType: row.entityType,
          entityId: row.entityId,
          action: row.action,
          changes: row.changes,
          requestId: row.requestId,
        },
        row.prevHash,
      );
      if (recomputed !== row.hash) return broken('its content no longer matches its hash (it was altered)');
      prevHash = row.hash;
      expectedSeq++;
      count++;
      lastId = row.id;
    }
  }
}

/** An item's events in order: the item itself, its escalations, positions and links. */
export async function itemTimeline(db: Database, principal: TenantPrincipal, itemId: string) {
  const item = await getItem(db, principal, itemId);
  const escalationIds = (
    await db.select({ id: escalations.id }).from(escalations).where(eq(escalations.itemId, item.id))
  ).map((e) => e.id);
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.organisationId, principal.organisationId),
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
