import { and, eq, sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/client.js';
import type { Relay } from '../deps.js';
import { isUniqueViolation } from '../db/errors.js';
import { escalationAssignees, escalationEvents, escalations, notifications, organisations } from '../db/schema.js';
import type { EscalationEventType } from '../db/schema.js';
import { addSeconds, decideTimer, type ChainSnapshot } from '../domain/escalation.js';
import { bandAtLeast, type RiskBand } from '../domain/risk.js';
import type { ItemCategory, ItemKind } from '../domain/taxonomy.js';
import { conflict } from '../http/errors.js';
import { writeOutbox, type OutboxMessage } from '../queue/outbox.js';
import { recordAudit, SYSTEM_ACTOR, textRef, type AuditActor, type AuditEntry } from '../audit/record.js';
import { jobIds } from '../queue/queues.js';
import { snapshotChain, type PolicyRow } from './policy.js';

export type EscalationRow = typeof escalations.$inferSelect;

export type { Relay };

export const timerJob = (escalationId: string, step: number, runAt: Date): OutboxMessage<'escalation-steps'> => ({
  queue: 'escalation-steps',
  jobName: 'escalation-step',
  jobId: jobIds.escalationStep(escalationId, step),
  payload: { escalationId, step },
  runAt,
});

export interface NewNotification {
  organisationId: string;
  escalationId: string;
  recipientStaffId: string;
  type: 'assigned' | 'reminder';
  step: number;
  createdAt?: Date;
}

/**
 * Records inbox notifications, once per (escalation, step, recipient), and returns the webhook
 * deliveries to put in the outbox with the caller's other jobs (one per new notification, when
 * its organisation has a webhook).
 */
export async function notify(tx: Executor, list: NewNotification[]): Promise<OutboxMessage[]> {
  if (list.length === 0) return [];
  const rows = await tx
    .insert(notifications)
    .values(list)
    .onConflictDoNothing()
    .returning({
      id: notifications.id,
      webhook: sql<boolean>`exists (select 1 from ${organisations} where ${organisations.id} = ${notifications.organisationId} and ${organisations.webhookUrl} is not null)`,
    });
  return rows
    .filter((row) => row.webhook)
    .map((row) => ({ queue: 'webhooks', jobName: 'deliver', jobId: jobIds.webhook(row.id), payload: { notificationId: row.id } }));
}

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
  if (events.length === 0) return;
  await tx.insert(escalationEvents).values(
    events.map((e) => ({
      ...(e.at ? { createdAt: e.at } : {}),
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

export async function rememberAssignee(tx: Executor, escalationId: string, staffId: string) {
  await tx.insert(escalationAssignees).values({ escalationId, staffId }).onConflictDoNothing();
}

export interface EscalatableItem {
  id: string;
  organisationId: string;
  wardId: string;
  kind: ItemKind;
  category: ItemCategory;
  riskBand: RiskBand | null;
  status: 'open' | 'resolved';
}

/** Problems and risks the ward left open, at or above the policy's minimum band. */
export function isAutomaticCandidate(item: EscalatableItem, minBand: RiskBand): boolean {
  return (
    item.kind !== 'good_practice' && item.status === 'open' && item.riskBand !== null && bandAtLeast(item.riskBand, minBand)
  );
}

export interface EscalationStart {
  policy: PolicyRow;
  trigger: 'automatic' | 'manual';
  reason?: string | null;
  actorStaffId?: string | null;
  actorTokenId?: string | null;
  actor: AuditActor;
  now?: Date;
}

/**
 * Starts escalations for items of one ward inside the caller's transaction: each escalation,
 * its first event, its first assignee's notification and its acknowledge-deadline timer in the
 * outbox, a few multi-row statements for all of them. Returns the escalations and their audit
 * events, which the caller appends last in its transaction (recordAudits).
 */
export async function startEscalations(tx: Executor, startItems: EscalatableItem[], start: EscalationStart) {
  if (startItems.length === 0) return { started: [] as EscalationRow[], audit: [] as AuditEntry[] };
  const now = start.now ?? new Date();
  const planned = startItems.map((item) => {
    const band = item.riskBand ?? 'low';
    const chain: ChainSnapshot = snapshotChain(start.policy, item.category, band);
    const dueAt = addSeconds(now, chain.ackWithinSeconds);
    return { item, band, chain, dueAt, assignee: chain.levels[0]! };
  });
  let started: EscalationRow[];
  try {
    started = await tx
      .insert(escalations)
      .values(
        planned.map(({ item, band, chain, dueAt, assignee }) => ({
          organisationId: item.organisationId,
          wardId: item.wardId,
          itemId: item.id,
          trigger: start.trigger,
          reason: start.reason ?? null,
          band,
          chain,
          state: 'open' as const,
          level: 0,
          assigneeStaffId: assignee,
          dueAt,
          nextStepAt: dueAt,
          step: 1,
          createdAt: now,
        })),
      )
      .returning();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('The item already has an open escalation');
    throw error;
  }
  const byItem = new Map(started.map((escalation) => [escalation.itemId, escalation]));
  const rows = planned.map((plan) => ({ ...plan, escalation: byItem.get(plan.item.id)! }));
  await tx
    .insert(escalationAssignees)
    .values(rows.map(({ escalation, assignee }) => ({ escalationId: escalation.id, staffId: assignee })))
    .onConflictDoNothing();
  await recordEvents(
    tx,
    rows.map(({ escalation, band, dueAt, assignee }) => ({
      escalationId: escalation.id,
      type: 'started' as const,
      step: 1,
      level: 0,
      assigneeStaffId: assignee,
      actorStaffId: start.actorStaffId,
      actorTokenId: start.actorTokenId,
      details: { trigger: start.trigger, band, dueAt: dueAt.toISOString() },
      at: now,
    })),
  );
  const webhooks = await notify(
    tx,
    rows.map(({ item, escalation, assignee }) => ({
      organisationId: item.organisationId,
      escalationId: escalation.id,
      recipientStaffId: assignee,
      type: 'assigned' as const,
      step: 1,
      createdAt: now,
    })),
  );
  await writeOutbox(tx, [...rows.map(({ escalation, dueAt }) => timerJob(escalation.id, 1, dueAt)), ...webhooks]);
  const audit = rows.map(
    ({ item, escalation, band, chain, dueAt, assignee }): AuditEntry => ({
      organisationId: item.organisationId,
      actor: start.actor,
      entityType: 'escalation',
      entityId: escalation.id,
      action: 'started',
      changes: {
        itemId: item.id,
        trigger: start.trigger,
        reason: textRef(start.reason),
        band,
        level: 1,
        assigneeStaffId: assignee,
        chain: chain.levels,
        dueAt: dueAt.toISOString(),
      },
      at: now,
    }),
  );
  return { started, audit };
}

export type StepOutcome = 'climbed' | 'reminded' | 'postponed' | 'finished' | 'stale';

/**
 * The deadline timer for one step of one escalation. Safe to run any number of times: it
 * applies only when the escalation is still open and still at `step` (a compare-and-set on
 * the row), and the event it writes is unique per step in the database.
 */
export async function runEscalationStep(
  deps: { db: Database; relay?: Relay | undefined },
  payload: { escalationId: string; step: number },
  now = new Date(),
): Promise<StepOutcome> {
  const outcome = await deps.db.transaction(async (tx): Promise<StepOutcome> => {
    const [current] = await tx
      .select()
      .from(escalations)
      .where(eq(escalations.id, payload.escalationId))
      .for('update');
    if (!current || current.step !== payload.step || current.state !== 'open' || !current.nextStepAt) return 'stale';

    const decision = decideTimer(current.chain, current, now);
    const step = current.step + 1;
    const advance = (set: Partial<EscalationRow>) =>
      tx
        .update(escalations)
        .set({ ...set, step: sql`${escalations.step} + 1` })
        .where(and(eq(escalations.id, current.id), eq(escalations.step, current.step)))
        .returning({ id: escalations.id });

    switch (decision.kind) {
      case 'none': {
        await advance({ nextStepAt: null });
        return 'finished';
      }
      case 'postpone': {
        await advance({ nextStepAt: decision.until });
        await writeOutbox(tx, [timerJob(current.id, step, decision.until)]);
        return 'postponed';
      }
      case 'climb': {
        const assignee = current.chain.levels[decision.toLevel]!;
        const updated = await advance({
          level: decision.toLevel,
          assigneeStaffId: assignee,
          dueAt: decision.dueAt,
          nextStepAt: decision.dueAt,
          repeatsSent: 0,
        });
        if (updated.length === 0) return 'stale';
        await rememberAssignee(tx, current.id, assignee);
        await recordEvents(tx, [
          {
            escalationId: current.id,
            type: 'climbed',
            step,
            level: decision.toLevel,
            assigneeStaffId: assignee,
            details: { fromLevel: current.level, fromStaffId: current.assigneeStaffId, missedDueAt: current.dueAt.toISOString() },
            at: now,
          },
        ]);
        const webhooks = await notify(tx, [
          {
            organisationId: current.organisationId,
            escalationId: current.id,
            recipientStaffId: assignee,
            type: 'assigned',
            step,
            createdAt: now,
          },
        ]);
        await writeOutbox(tx, [timerJob(current.id, step, decision.dueAt), ...webhooks]);
        await recordAudit(tx, {
          organisationId: current.organisationId,
          actor: SYSTEM_ACTOR,
          entityType: 'escalation',
          entityId: current.id,
          action: 'climbed',
          changes: {
            level: { from: current.level + 1, to: decision.toLevel + 1 },
            assigneeStaffId: { from: current.assigneeStaffId, to: assignee },
            dueAt: { from: current.dueAt.toISOString(), to: decision.dueAt.toISOString() },
          },
          at: now,
        });
        return 'climbed';
      }
      case 'remind': {
        const updated = await advance({ repeatsSent: decision.repeatNumber, nextStepAt: decision.nextAt });
        if (updated.length === 0) return 'stale';
        await recordEvents(tx, [
          {
            escalationId: current.id,
            type: 'reminded',
            step,
            level: current.level,
            assigneeStaffId: current.assigneeStaffId,
            details: { repeat: decision.repeatNumber, of: current.chain.maxRepeats },
            at: now,
          },
        ]);
        const webhooks = await notify(tx, [
          {
            organisationId: current.organisationId,
            escalationId: current.id,
            recipientStaffId: current.assigneeStaffId,
            type: 'reminder',
            step,
            createdAt: now,
          },
        ]);
        await writeOutbox(tx, [...(decision.nextAt ? [timerJob(current.id, step, decision.nextAt)] : []), ...webhooks]);
        await recordAudit(tx, {
          organisationId: current.organisationId,
          actor: SYSTEM_ACTOR,
          entityType: 'escalation',
          entityId: current.id,
          action: 'reminded',
          changes: { repeat: decision.repeatNumber, of: current.chain.maxRepeats, assigneeStaffId: current.assigneeStaffId },
          at: now,
        });
        return 'reminded';
      }
    }
  });
  if (outcome !== 'stale') deps.relay?.nudge();
  return outcome;
}
