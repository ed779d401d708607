import { and, asc, eq, gte } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { auditEvents } from '../db/schema.js';
import { contentOf, eventHash, GENESIS_HASH } from './chain.js';
import { sealAuditTrail } from './sealer.js';

type AuditRow = typeof auditEvents.$inferSelect;

export function presentAuditEvent(row: AuditRow) {
  return {
    id: row.id,
    seq: row.seq!,
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

/**
 * Seals what is pending, then recomputes the organisation's chain from its first event and
 * reports the first that does not hold.
 */
export async function verifyAuditChain(db: Database, organisationId: string): Promise<VerifyResult> {
  await sealAuditTrail(db, organisationId, { wait: true });
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.organisationId, organisationId), gte(auditEvents.seq, expectedSeq)))
      .orderBy(asc(auditEvents.seq))
      .limit(BATCH);
    if (rows.length === 0) return { ok: true, events: count, lastHash: prevHash };
    for (const row of rows) {
      const broken = (reason: string): VerifyResult => ({
        ok: false,
        events: count,
        firstBrokenEventId: row.id,
        firstBrokenSeq: row.seq!,
        reason,
      });
      if (row.seq !== expectedSeq)
        return broken(`expected sequence ${expectedSeq}, found ${row.seq} (an event is missing)`);
      if (row.prevHash !== prevHash) return broken('does not link to the event before it');
      if (eventHash(contentOf(row, row.seq), prevHash) !== row.hash) {
        return broken('its content no longer matches its hash (it was altered)');
      }
      prevHash = row.hash;
      expectedSeq++;
      count++;
    }
  }
}
