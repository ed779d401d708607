import { randomUUID } from 'node:crypto';
import { and, eq, sql, type SQLWrapper } from 'drizzle-orm';
import type { Database, Executor } from '../db/client.js';
import type { Relay } from '../deps.js';
import { escalationAssignees, escalationEvents, escalations, notifications, organisations } from '../db/schema.js';
import type { EscalationEventType } from '../db/schema.js';
import { addSeconds, decideTimer, type ChainSnapshot } from '../domain/escalation.js';
import { bandAtLeast, type RiskBand } from '../domain/risk.js';
import type { ItemCategory, ItemKind } from '../domain/taxonomy.js';
import { outboxInsert, writeOutbox, type OutboxMessage } from '../queue/outbox.js';
import { auditInsert, SYSTEM_ACTOR, textRef, type AuditActor, type AuditEntry } from '../audit/record.js';
import { insertTogether, rowsInsert } from '../db/together.js';
import { jobIds } from '../queue/queues.js';
import { webhookQueueWrites } from '../webhooks/queue.js';
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
  /** The level (0-based) and acknowledge deadline the notification announces. */
  level: number;
  dueAt: Date;
  createdAt?: Date;
}

/**
 * Inbox notifications (their ids chosen here) and, when the organisation has a webhook, each
 * one's place in the organisation's delivery queue: the inserts to send together, and the
 * organisations' delivery jobs for the caller to put in the outbox with its other jobs.
 */
export function notificationsInsert(list: NewNotification[], webhook: boolean) {
  const rows = list.map((n) => ({ ...n, id: randomUUID() }));
  const inserts: SQLWrapper[] = [rowsInsert(notifications, rows)];
  if (!webhook) return { inserts, webhooks: [] as OutboxMessage<'webhooks'>[] };
  const queued = webhookQueueWrites(rows.map((n) => ({ notificationId: n.id, organisationId: n.organisationId })));
  return { inserts: [...inserts, queued.insert], webhooks: queued.jobs };
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
  /** Whether the organisation has a webhook: each first notification is then delivered to it. */
  webhook: boolean;
  now?: Date;
}

/** An escalation as startEscalations writes it: open, at level 1, with its first deadline. */
export interface PlannedEscalation {
  id: string;
  item: EscalatableItem;
  band: RiskBand;
  chain: ChainSnapshot;
  dueAt: Date;
  /** The level-1 manager. */
  assignee: string;
}

/**
 * Starts escalations for items of one ward: each escalation, its assignee, its first event, its
 * first assignee's notification (and webhook delivery) and its acknowledge-deadline timer in the
 * outbox. Nothing is written here: it returns the inserts, for the caller to send together with
 * its own in its transaction (insertTogether), and the audit events that go with them.
 */
export function startEscalations(startItems: EscalatableItem[], start: EscalationStart) {
  if (startItems.length === 0) return { planned: [] as PlannedEscalation[], inserts: [] as SQLWrapper[], audit: [] as AuditEntry[] };
  const now = start.now ?? new Date();
  const planned = startItems.map((item): PlannedEscalation => {
    const band = item.riskBand ?? 'low';
    const chain: ChainSnapshot = snapshotChain(start.policy, item.category, band);
    const dueAt = addSeconds(now, chain.ackWithinSeconds);
    return { item, band, chain, dueAt, assignee: chain.levels[0]!, id: randomUUID() };
  });
  const firstNotices = notificationsInsert(
    planned.map(({ id, item, assignee, dueAt }) => ({
      organisationId: item.organisationId,
      escalationId: id,
      recipientStaffId: assignee,
      type: 'assigned' as const,
      step: 1,
      level: 0,
      dueAt,
      createdAt: now,
    })),
    start.webhook,
  );
  const inserts: SQLWrapper[] = [
    rowsInsert(
      escalations,
      planned.map(({ id, item, band, chain, dueAt, assignee }) => ({
        id,
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
    ),
    assigneesInsert(planned.map(({ id, assignee }) => ({ escalationId: id, staffId: assignee }))),
    eventsInsert(
      planned.map(({ id, band, dueAt, assignee }) => ({
        escalationId: id,
        type: 'started' as const,
        step: 1,
        level: 0,
        assigneeStaffId: assignee,
        actorStaffId: start.actorStaffId,
        actorTokenId: start.actorTokenId,
        details: { trigger: start.trigger, band, dueAt: dueAt.toISOString() },
        at: now,
      })),
    ),
    ...firstNotices.inserts,
    outboxInsert([...planned.map(({ id, dueAt }) => timerJob(id, 1, dueAt)), ...firstNotices.webhooks]),
  ];
  const audit = planned.map(
    ({ id, item, band, chain, dueAt, assignee }): AuditEntry => ({
      organisationId: item.organisationId,
      actor: start.actor,
      entityType: 'escalation',
      entityId: id,
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
  return { planned, inserts, audit };
}

export type StepOutcome = 'climbed' | 'reminded' | 'postponed' | 'finished' | 'stale';
/** The step's time has not come: the job ran early and must wait until `dueAt`. */
export interface NotDue {
  notDue: true;
  dueAt: Date;
}

/**
 * The deadline timer for one step of one escalation. Safe to run any number of times: it
 * applies only when the escalation is still open and still at `step` (a compare-and-set on
 * the row), and the event it writes is unique per step in the database. It never acts before
 * the step's time (`nextStepAt`): a job that runs early (promoted or added by hand, a clock
 * skew, a bug) gets `NotDue`, with the time to wait for.
 */
export async function runEscalationStep(
  deps: { db: Database; relay?: Relay | undefined },
  payload: { escalationId: string; step: number },
  now = new Date(),
): Promise<StepOutcome | NotDue> {
  const outcome = await deps.db.transaction(async (tx): Promise<StepOutcome | NotDue> => {
    const [found] = await tx
      .select({ escalation: escalations, webhook: sql<boolean>`${organisations.webhookUrl} is not null` })
      .from(escalations)
      .innerJoin(organisations, eq(organisations.id, escalations.organisationId))
      .where(eq(escalations.id, payload.escalationId))
      .for('update', { of: escalations });
    const current = found?.escalation;
    if (!current || current.step !== payload.step || current.state !== 'open' || !current.nextStepAt) return 'stale';
    if (current.nextStepAt > now) return { notDue: true, dueAt: current.nextStepAt };
    // What a step writes goes in one statement after the compare-and-set.
    const notification = (notice: Pick<NewNotification, 'recipientStaffId' | 'type' | 'level' | 'dueAt'>) =>
      notificationsInsert(
        [{ ...notice, organisationId: current.organisationId, escalationId: current.id, step, createdAt: now }],
        found.webhook,
      );

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
        const assigned = notification({ recipientStaffId: assignee, type: 'assigned', level: decision.toLevel, dueAt: decision.dueAt });
        await insertTogether(tx, [
          assigneesInsert([{ escalationId: current.id, staffId: assignee }]),
          eventsInsert([
            {
              escalationId: current.id,
              type: 'climbed',
              step,
              level: decision.toLevel,
              assigneeStaffId: assignee,
              details: { fromLevel: current.level, fromStaffId: current.assigneeStaffId, missedDueAt: current.dueAt.toISOString() },
              at: now,
            },
          ]),
          ...assigned.inserts,
          outboxInsert([timerJob(current.id, step, decision.dueAt), ...assigned.webhooks]),
          auditInsert([
            {
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
            },
          ]),
        ]);
        return 'climbed';
      }
      case 'remind': {
        const updated = await advance({ repeatsSent: decision.repeatNumber, nextStepAt: decision.nextAt });
        if (updated.length === 0) return 'stale';
        const reminder = notification({
          recipientStaffId: current.assigneeStaffId,
          type: 'reminder',
          level: current.level,
          dueAt: current.dueAt,
        });
        const jobs = [...(decision.nextAt ? [timerJob(current.id, step, decision.nextAt)] : []), ...reminder.webhooks];
        await insertTogether(tx, [
          eventsInsert([
            {
              escalationId: current.id,
              type: 'reminded',
              step,
              level: current.level,
              assigneeStaffId: current.assigneeStaffId,
              details: { repeat: decision.repeatNumber, of: current.chain.maxRepeats },
              at: now,
            },
          ]),
          ...reminder.inserts,
          ...(jobs.length ? [outboxInsert(jobs)] : []),
          auditInsert([
            {
              organisationId: current.organisationId,
              actor: SYSTEM_ACTOR,
              entityType: 'escalation',
              entityId: current.id,
              action: 'reminded',
              changes: { repeat: decision.repeatNumber, of: current.chain.maxRepeats, assigneeStaffId: current.assigneeStaffId },
              at: now,
            },
          ]),
        ]);
        return 'reminded';
      }
    }
  });
  if (typeof outcome === 'string' && outcome !== 'stale') deps.relay?.nudge();
  return outcome;
}
