import { and, asc, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { startPeriodic } from '../background.js';
import type { Database } from '../db/client.js';
import { advisoryXactLocks, rows, tryAdvisoryXactLock } from '../db/sql.js';
import { auditEvents } from '../db/schema.js';
import { contentOf, eventHash, GENESIS_HASH } from './chain.js';

const BATCH = 1_000;

/**
 * Gives an organisation's unsealed audit events their place in its hash chain, in the order
 * they were written: each gets the next seq and a hash over its stored content and the hash
 * before it. One sealer per organisation at a time (a transaction-scoped advisory lock); with
 * `wait: false` it leaves the work to whoever holds the lock. Returns how many it sealed.
 */
export async function sealAuditTrail(
  db: Database,
  organisationId: string,
  { wait }: { wait: boolean },
): Promise<number> {
  let sealed = 0;
  for (;;) {
    const count = await db.transaction(async (tx) => {
      const key = `audit:${organisationId}`;
      if (wait) await advisoryXactLocks(tx, [key]);
      else if (!(await tryAdvisoryXactLock(tx, key))) return 0;
      // Read after the lock is held, so the tail is the last event any sealer committed.
      const [tail] = await tx
        .select({ seq: auditEvents.seq, hash: auditEvents.hash })
        .from(auditEvents)
        .where(and(eq(auditEvents.organisationId, organisationId), isNotNull(auditEvents.seq)))
        .orderBy(desc(auditEvents.seq))
        .limit(1);
      const pending = await tx
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.organisationId, organisationId), isNull(auditEvents.seq)))
        .orderBy(asc(auditEvents.id))
        .limit(BATCH);
      if (pending.length === 0) return 0;
      let seq = tail?.seq ?? 0;
      let prevHash = tail?.hash ?? GENESIS_HASH;
      const seals = pending.map((row) => {
        seq += 1;
        const hash = eventHash(contentOf(row, seq), prevHash);
        const seal = { id: row.id, seq, prev_hash: prevHash, hash };
        prevHash = hash;
        return seal;
      });
      await tx.execute(sql`
        update audit_events a set seq = s.seq, prev_hash = s.prev_hash, hash = s.hash
        from jsonb_to_recordset(${JSON.stringify(seals)}::jsonb) as s(id bigint, seq int, prev_hash text, hash text)
        where a.id = s.id and a.seq is null`);
      return pending.length;
    });
    sealed += count;
    if (count < BATCH) return sealed;
  }
}

/** Seals every organisation's pending events, skipping organisations another sealer is on. */
export async function sealPendingAudit(db: Database): Promise<number> {
  let sealed = 0;
  for (const { id } of await organisationsWithUnsealed(db)) sealed += await sealAuditTrail(db, id, { wait: false });
  return sealed;
}

/**
 * The organisations with unsealed events, one index probe each (a loose index scan over the
 * partial index of unsealed events). Sealing updates every event it seals, so until vacuum that
 * index holds an entry for each event sealed since: a DISTINCT over it read them all (a bitmap
 * scan, 15-37 ms a call under capture, every second in every process), where a probe's plain
 * index scan marks dead entries as it passes and later probes skip them.
 */
function organisationsWithUnsealed(db: Database) {
  return rows<{ id: string }>(
    db,
    sql`with recursive pending(id) as (
      (select organisation_id from audit_events where seq is null order by organisation_id limit 1)
      union all
      select (select a.organisation_id from audit_events a
              where a.seq is null and a.organisation_id > pending.id order by a.organisation_id limit 1)
      from pending where pending.id is not null)
    select id from pending where id is not null`,
  );
}

/** How many audit events wait to be sealed (metrics; a partial index holds exactly these). */
export async function unsealedAuditCount(db: Database): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(auditEvents)
    .where(isNull(auditEvents.seq));
  return row?.count ?? 0;
}

/** Runs in every process, every `intervalMs`: events are sealed about a second after commit. */
export function startAuditSealer(db: Database, logger: Logger, intervalMs = 1_000) {
  return startPeriodic({
    name: 'audit sealing',
    intervalMs,
    logger,
    run: async () => {
      await sealPendingAudit(db);
    },
  });
}
