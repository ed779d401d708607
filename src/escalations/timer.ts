import { DelayedError } from 'bullmq';
import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { auditInsert, SYSTEM_ACTOR, type AuditActor } from '../audit/record.js';
import type { Database, Executor, Transaction } from '../db/client.js';
import { tryAdvisoryXactLock } from '../db/sql.js';
import { escalations, organisations } from '../db/schema.js';
import { insertTogether } from '../db/together.js';
import type { Relay } from '../deps.js';
import { planStep, type StepChange, type StepOutcome } from '../domain/escalation-step.js';
import { notificationsInsert } from '../notifications/service.js';
import { outboxInsert, writeOutbox, type OutboxMessage } from '../queue/outbox.js';
import { jobIds, type QueueSet } from '../queue/queues.js';
import type { QueueHandler } from '../queue/workers.js';
import { observeTimerLag } from '../metrics/registry.js';
import { hasWebhook } from '../webhooks/settings.js';
import { assigneesInsert, escalationAudit, eventsInsert } from './history.js';
import { inactiveStaffAmong } from './inactive-staff.js';

/**
 * The acknowledge-deadline timer of escalations: one job per step (a deterministic id), its
 * handler, and the reconciler that rebuilds lost jobs from PostgreSQL.
 */

export type EscalationRow = typeof escalations.$inferSelect;

export const timerJob = (escalationId: string, step: number, runAt: Date): OutboxMessage<'escalation-steps'> => ({
  queue: 'escalation-steps',
  jobName: 'escalation-step',
  jobId: jobIds.escalationStep(escalationId, step),
  payload: { escalationId, step },
  runAt,
});

export type { StepOutcome };
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
): Promise<StepOutcome | 'stale' | NotDue> {
  let dueAt: Date | null = null;
  const outcome = await deps.db.transaction(async (tx): Promise<StepOutcome | 'stale' | NotDue> => {
    const [found] = await tx
      .select({ escalation: escalations, webhook: hasWebhook() })
      .from(escalations)
      .innerJoin(organisations, eq(organisations.id, escalations.organisationId))
      .where(eq(escalations.id, payload.escalationId))
      .for('update', { of: escalations });
    if (!found) return 'stale';
    const inactive = await inactiveStaffAmong(tx, found.escalation.chain.levels);
    const plan = planStep(found.escalation, payload.step, now, inactive);
    if (plan.kind === 'stale') return 'stale';
    if (plan.kind === 'not_due') return { notDue: true, dueAt: plan.dueAt };
    dueAt = found.escalation.nextStepAt;
    return (await writeStep(tx, found.escalation, plan, found.webhook, now)) ? plan.outcome : 'stale';
  });
  if (typeof outcome === 'string' && outcome !== 'stale') {
    // Timer lag: from the step's due time to the time it was applied at.
    if (dueAt) observeTimerLag((now.getTime() - (dueAt as Date).getTime()) / 1000);
    deps.relay?.nudge();
  }
  return outcome;
}

/** Who a step is recorded as done by: the system (a timer), unless a person's act caused it. */
export interface StepActor {
  audit: AuditActor;
  staffId: string | null;
  tokenId: string | null;
}
const TIMER: StepActor = { audit: SYSTEM_ACTOR, staffId: null, tokenId: null };

/**
 * The step's writes: the compare-and-set on the row, then everything else in one statement (its
 * event, notification and webhook delivery, the next timer, the audit entry). False when the
 * row had moved on. A timer's climb and a hand-over (./handover.ts) both write through here.
 */
export async function writeStep(
  tx: Transaction,
  current: EscalationRow,
  change: StepChange,
  webhook: boolean,
  now: Date,
  actor: StepActor = TIMER,
) {
  const updated = await tx
    .update(escalations)
    .set({ ...change.set, step: sql`${escalations.step} + 1` })
    .where(and(eq(escalations.id, current.id), eq(escalations.step, current.step)))
    .returning({ id: escalations.id });
  if (updated.length === 0) return false;
  const timers = change.timerAt ? [timerJob(current.id, change.step, change.timerAt)] : [];
  const record = change.record;
  if (!record) {
    await writeOutbox(tx, timers);
    return true;
  }
  const notice = notificationsInsert(
    [
      {
        ...record.notice,
        organisationId: current.organisationId,
        escalationId: current.id,
        step: change.step,
        createdAt: now,
      },
    ],
    webhook,
  );
  const jobs = [...timers, ...notice.webhooks];
  await insertTogether(tx, [
    ...(record.newAssignee ? [assigneesInsert([{ escalationId: current.id, staffId: record.newAssignee }])] : []),
    eventsInsert([
      {
        ...record.event,
        escalationId: current.id,
        step: change.step,
        actorStaffId: actor.staffId,
        actorTokenId: actor.tokenId,
        at: now,
      },
    ]),
    ...notice.inserts,
    ...(jobs.length > 0 ? [outboxInsert(jobs)] : []),
    auditInsert([escalationAudit(current, actor.audit, record.audit.action, record.audit.changes, now)]),
  ]);
  return true;
}

/** The escalation-steps queue's handler: runs the step, or puts an early job back until its time. */
export function escalationStepHandler(deps: { db: Database; relay: Relay }): QueueHandler<'escalation-steps'> {
  return {
    process: async (job, token) => {
      const outcome = await runEscalationStep(deps, job.data);
      if (typeof outcome === 'string') return outcome;
      // Run before its time: back to the delayed set for the time that is left (BullMQ's way
      // for a job to reschedule itself; it counts as no attempt).
      await job.moveToDelayed(outcome.dueAt.getTime(), token);
      throw new DelayedError();
    },
  };
}

/** The states whose pending step is a timer: the chain (open), and reminders for a response (acknowledged). */
const TIMED_STATES: EscalationRow['state'][] = ['open', 'acknowledged'];

/** Escalations with a pending step: due in the future, and due but not yet applied (metrics). */
export async function timerCounts(db: Database): Promise<{ pending: number; overdue: number }> {
  const [row] = await db
    .select({
      pending: sql<number>`count(*) filter (where ${escalations.nextStepAt} > now())::int`,
      overdue: sql<number>`count(*) filter (where ${escalations.nextStepAt} <= now())::int`,
    })
    .from(escalations)
    .where(and(inArray(escalations.state, TIMED_STATES), isNotNull(escalations.nextStepAt)));
  return { pending: row?.pending ?? 0, overdue: row?.overdue ?? 0 };
}

export interface ReconcileReport {
  checked: number;
  restored: number;
  retried: number;
}

/**
 * PostgreSQL is the system of record: every open escalation with a pending step must have
 * its timer job in Redis. Missing jobs (Redis flushed or restarted) are added again; failed
 * ones are retried. Adding is harmless when the job exists, and handlers ignore stale steps.
 */
export async function reconcileTimers(db: Executor, queues: QueueSet, now = new Date()): Promise<ReconcileReport> {
  const pending = await db
    .select({ id: escalations.id, step: escalations.step, nextStepAt: escalations.nextStepAt })
    .from(escalations)
    .where(and(inArray(escalations.state, TIMED_STATES), isNotNull(escalations.nextStepAt)));
  const queue = queues.get('escalation-steps');
  const report: ReconcileReport = { checked: pending.length, restored: 0, retried: 0 };
  for (const row of pending) {
    const jobId = jobIds.escalationStep(row.id, row.step);
    // One round trip for the common case, a job that is waiting or delayed as it should be.
    const state = await queue.getJobState(jobId);
    if (state === 'failed') {
      // It runs again now; a step whose time has not come puts itself back until it has.
      await (await queue.getJob(jobId))?.retry();
      report.retried++;
      continue;
    }
    if (state !== 'completed' && state !== 'unknown') continue;
    // Completed without advancing the step (the database failed mid-commit, or the job was
    // changed by hand), or missing (Redis flushed): queued again for the step's due time.
    if (state === 'completed') await queue.remove(jobId);
    await queue.add(
      'escalation-step',
      { escalationId: row.id, step: row.step },
      { jobId, delay: Math.max(0, (row.nextStepAt?.getTime() ?? now.getTime()) - now.getTime()) },
    );
    report.restored++;
  }
  return report;
}

/**
 * reconcileTimers in one process at a time: every worker process runs the reconciler, and a pass
 * is a scan of every pending timer, so concurrent passes would only repeat each other. Returns
 * null when another process's pass holds the lock (that pass covers every escalation).
 */
export async function reconcileTimersOnce(db: Database, queues: QueueSet): Promise<ReconcileReport | null> {
  return db.transaction(async (tx) => {
    if (!(await tryAdvisoryXactLock(tx, 'timer-reconciler'))) return null;
    return reconcileTimers(tx, queues);
  });
}
