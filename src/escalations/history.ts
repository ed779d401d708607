import { escalationAssignees, escalationEvents } from '../db/schema.js';
import type { EscalationEventType } from '../db/schema.js';
import type { Executor } from '../db/client.js';
import { rowsInsert } from '../db/together.js';
import type { AuditActor, AuditEntry } from '../audit/record.js';

/**
 * What an escalation leaves behind besides its row: its events (one per step at most, the
 * database makes sure), the managers it was ever assigned to, and its audit entries.
 */

export interface NewEscalationEvent {
  escalationId: string;
  type: EscalationEventType;
  step?: number | null;
  level: number;
  assigneeStaffId: string;
  actorStaffId?: string | null;
  actorTokenId?: string | null;
  details?: Record<string, unknown>;
  at?: Date;
}

export async function recordEvents(tx: Executor, events: NewEscalationEvent[]) {
  if (events.length > 0) await tx.execute(eventsInsert(events));
}

/** The insert of recordEvents, to send with other inserts (insertTogether). */
export function eventsInsert(events: NewEscalationEvent[]) {
  const now = new Date();
  return rowsInsert(
    escalationEvents,
    events.map((e) => ({
      createdAt: e.at ?? now,
      escalationId: e.escalationId,
      type: e.type,
      step: e.step ?? null,
      level: e.level,
      assigneeStaffId: e.assigneeStaffId,
      actorStaffId: e.actorStaffId ?? null,
      actorTokenId: e.actorTokenId ?? null,
      details: e.details ?? {},
    })),
  );
}

/** Everyone an escalation was ever assigned to (so they can still read it), each once. */
export function assigneesInsert(rows: { escalationId: string; staffId: string }[]) {
  return rowsInsert(escalationAssignees, rows, { onConflictDoNothing: true });
}

/** The audit entry of something that happened to an escalation. */
export function escalationAudit(
  escalation: { id: string; organisationId: string },
  actor: AuditActor,
  action: string,
  changes: Record<string, unknown>,
  at: Date,
): AuditEntry {
  return {
    organisationId: escalation.organisationId,
    actor,
    entityType: 'escalation',
    entityId: escalation.id,
    action,
    changes,
    at,
  };
}
