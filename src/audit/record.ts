import { desc, eq, sql } from 'drizzle-orm';
import type { Principal } from '../auth/principal.js';
import type { Executor } from '../db/client.js';
import { auditEvents } from '../db/schema.js';
import { eventHash, GENESIS_HASH, type AuditContent } from './chain.js';

export interface AuditActor {
  type: 'staff' | 'ward_device' | 'platform_admin' | 'system';
  id: string | null;
  role: string;
  requestId: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, role: 'system', requestId: null };

export function actorOf(principal: Principal): AuditActor {
  const requestId = principal.requestId ?? null;
  if (principal.role === 'platform_admin') return { type: 'platform_admin', id: principal.tokenId, role: 'platform_admin', requestId };
  if (principal.role === 'ward_device') return { type: 'ward_device', id: principal.tokenId, role: 'ward_device', requestId };
  return { type: 'staff', id: principal.staffId, role: principal.role, requestId };
}

/** Free text is referenced (that it changed, and its length), never copied into the trail. */
export const textRef = (text: string | null | undefined) => (text == null ? null : { text: 'redacted', length: text.length });

export interface AuditEntry {
  organisationId: string;
  actor: AuditActor;
  entityType: 'organisation' | 'ward' | 'staff' | 'token' | 'briefing' | 'item' | 'escalation' | 'policy' | 'priority';
  entityId: string;
  action: string;
  /** Changed fields as { field: { from, to } } or a small summary; never free text. */
  changes: Record<string, unknown>;
  at?: Date;
}

/**
 * Appends one event to the organisation's hash chain, inside the caller's transaction. The
 * organisation's lock is held from here until commit, so call it last in the transaction.
 */
export async function recordAudit(tx: Executor, entry: AuditEntry) {
  await recordAudits(tx, [entry]);
}

/**
 * Appends a transaction's events, in order, to their organisation's hash chain: one lock, one
 * read of the chain's tail and one insert. A transaction-scoped advisory lock per organisation
 * orders concurrent writers, so every event seals the one before it; the lock is held until
 * commit, which is why this is called once, as the transaction's last statement.
 */
export async function recordAudits(tx: Executor, entries: AuditEntry[]) {
  if (entries.length === 0) return;
  const organisationId = entries[0]!.organisationId;
  if (entries.some((e) => e.organisationId !== organisationId)) throw new Error('recordAudits: one organisation at a time');
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`audit:${organisationId}`}, 0))`);
  const [last] = await tx
    .select({ seq: auditEvents.seq, hash: auditEvents.hash })
    .from(auditEvents)
    .where(eq(auditEvents.organisationId, organisationId))
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  const rows = entries.map((entry) => {
    // Millisecond precision: the stored timestamp must round-trip exactly for verification.
    const occurredAt = new Date(Math.floor((entry.at ?? new Date()).getTime()));
    // Stored as jsonb: hash exactly what comes back (dates as strings, no undefined).
    const changes = JSON.parse(JSON.stringify(entry.changes)) as Record<string, unknown>;
    const content: AuditContent = {
      organisationId,
      seq: ++seq,
      occurredAt: occurredAt.toISOString(),
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      actorRole: entry.actor.role,
      entityType: entry.entityType,
      entityId: entry.entityId,
      action: entry.action,
      changes,
      requestId: entry.actor.requestId,
    };
    const hash = eventHash(content, prevHash);
    const row = { ...content, actorType: entry.actor.type, changes, occurredAt, prevHash, hash };
    prevHash = hash;
    return row;
  });
  await tx.insert(auditEvents).values(rows);
}

/** { field: { from, to } } for the fields whose values differ. */
export function diff<T extends Record<string, unknown>>(before: Partial<T>, after: Partial<T>, fields: (keyof T)[]) {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of fields) {
    const from = before[field] ?? null;
    const to = after[field] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field as string] = { from, to };
  }
  return changes;
}
