import type { Executor } from '../db/client.js';
import { auditEvents } from '../db/schema.js';
import { rowsInsert } from '../db/together.js';

export interface AuditActor {
  type: 'staff' | 'ward_device' | 'platform_admin' | 'system';
  id: string | null;
  role: string;
  requestId: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, role: 'system', requestId: null };

/** Who acted, as the audit trail needs it (a principal of src/auth fits). */
export interface Acting {
  role: string;
  tokenId: string;
  staffId: string | null;
  requestId?: string | undefined;
}

export function actorOf(principal: Acting): AuditActor {
  const requestId = principal.requestId ?? null;
  if (principal.role === 'platform_admin')
    return { type: 'platform_admin', id: principal.tokenId, role: 'platform_admin', requestId };
  if (principal.role === 'ward_device')
    return { type: 'ward_device', id: principal.tokenId, role: 'ward_device', requestId };
  return { type: 'staff', id: principal.staffId, role: principal.role, requestId };
}

/** Free text is referenced (that it changed, and its length), never copied into the trail. */
export const textRef = (text: string | null | undefined) =>
  text == null ? null : { text: 'redacted', length: text.length };

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

/** Appends one event to the organisation's audit trail, in the caller's transaction. */
export async function recordAudit(tx: Executor, entry: AuditEntry) {
  await recordAudits(tx, [entry]);
}

/**
 * Appends a transaction's events, in order, in one insert. They are written unsealed and take
 * no lock: the sealer (./sealer.ts) gives them their place in the organisation's hash chain
 * within about a second, so concurrent writers never wait for each other here.
 */
export async function recordAudits(tx: Executor, entries: AuditEntry[]) {
  if (entries.length > 0) await tx.execute(auditInsert(entries));
}

/** The insert of recordAudits, to send with other inserts (insertTogether). */
export function auditInsert(entries: AuditEntry[]) {
  const now = new Date();
  return rowsInsert(
    auditEvents,
    entries.map((entry) => ({
      organisationId: entry.organisationId,
      occurredAt: entry.at ?? now,
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      actorRole: entry.actor.role,
      entityType: entry.entityType,
      entityId: entry.entityId,
      action: entry.action,
      changes: entry.changes,
      requestId: entry.actor.requestId,
    })),
  );
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
