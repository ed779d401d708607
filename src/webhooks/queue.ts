import { DelayedError } from 'bullmq';
import { eq, min, sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/client.js';
import { rows } from '../db/sql.js';
import { notifications, webhookDeliveries, webhookQueue } from '../db/schema.js';
import { insertTogether, rowsInsert } from '../db/together.js';
import type { OutboxMessage } from '../queue/outbox.js';
import { jobIds, type QueueSet } from '../queue/queues.js';
import type { QueueHandler, WorkerDeps } from '../queue/workers.js';
import { countWebhookFailure } from '../metrics/registry.js';
import { sendNotificationEvent, type DeliveryOptions } from './deliver.js';

/**
 * Per-organisation webhook delivery. Each event to deliver is a webhook_queue row in PostgreSQL;
 * one BullMQ job per organisation (a deterministic id) delivers that organisation's rows one at a
 * time, oldest due first. So a receiver that hangs or fails holds one worker slot, never all of
 * them, and another trust's events go out at once. After a failed attempt the organisation's job
 * waits for that attempt's backoff before it sends anything more, so a failing receiver is not
 * hammered with its backlog; when it answers again, the backlog drains.
 */

/** Attempts per event before it is given up (each one recorded in webhook_deliveries). */
export const MAX_WEBHOOK_ATTEMPTS = 8;

/** Exponential backoff after the `attemptsMade`th failure: base, 2 x base, 4 x base... (as BullMQ's). */
export const retryDelayMs = (baseMs: number, attemptsMade: number) => baseMs * 2 ** (attemptsMade - 1);

/** The organisation's delivery job, for the outbox: many of them in Redis are one job. */
export const deliveryJob = (organisationId: string): OutboxMessage<'webhooks'> => ({
  queue: 'webhooks',
  jobName: 'deliver',
  jobId: jobIds.webhooks(organisationId),
  payload: { organisationId },
});

/** The queue rows and the organisations' jobs for new notifications, written with them. */
export function webhookQueueWrites(rows: { notificationId: string; organisationId: string }[]) {
  const organisations = [...new Set(rows.map((r) => r.organisationId))];
  return { insert: rowsInsert(webhookQueue, rows), jobs: organisations.map(deliveryJob) };
}

/** How long a pass that spent its budget waits before its organisation's next pass. */
const YIELD_MS = 50;

export interface DrainOptions extends DeliveryOptions {
  retryDelayMs: number;
  /** A pass hands its worker slot back after this long (the job runs again at once). */
  budgetMs?: number;
}

export interface DrainResult {
  delivered: number;
  /** Events with nothing to send any more (the webhook was removed). */
  skipped: number;
  failed: number;
  gaveUp: number;
  /** When the organisation's job should run again; null when nothing is left to deliver. */
  nextRunAt: Date | null;
}

/**
 * Claims the organisation's oldest due row for one attempt: its next_attempt_at moves past the
 * attempt's timeout (a lease), so a second pass running at the same time (a stalled job taken
 * over) skips it, and a pass that dies mid-attempt leaves it due again once the lease ends.
 */
async function claimNext(db: Database, organisationId: string, leaseMs: number) {
  const [row] = await rows<{ id: string | number; notificationId: string; attempts: number }>(
    db,
    sql`
    update ${webhookQueue} set next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
    where id = (
      select id from ${webhookQueue}
      where organisation_id = ${organisationId} and next_attempt_at <= now()
      order by next_attempt_at, id
      limit 1
      for update skip locked
    )
    returning id, notification_id as "notificationId", attempts`,
  );
  return row ? { ...row, id: Number(row.id) } : undefined;
}

/** Delivers the organisation's due events, one at a time, until none is due, one fails, or the budget is spent. */
export async function drainWebhooks(db: Database, organisationId: string, options: DrainOptions): Promise<DrainResult> {
  const started = Date.now();
  const budgetMs = options.budgetMs ?? 5_000;
  const leaseMs = options.timeoutMs + 30_000;
  const result: DrainResult = { delivered: 0, skipped: 0, failed: 0, gaveUp: 0, nextRunAt: null };
  for (;;) {
    const row = await claimNext(db, organisationId, leaseMs);
    if (!row) break;
    const attempt = row.attempts + 1;
    const sent = await sendNotificationEvent(db, row.notificationId, options);
    if (!sent || sent.succeeded) {
      // The attempt's record and the row's removal in one statement: both or neither.
      await insertTogether(db, [
        db.delete(webhookQueue).where(eq(webhookQueue.id, row.id)),
        ...(sent ? [db.insert(webhookDeliveries).values({ ...sent, attempt })] : []),
      ]);
      if (sent) result.delivered++;
      else result.skipped++;
      // Not at once: a job made due at the instant it is delayed can be fetched by another slot of
      // the same worker before this one lets go of it, and BullMQ then stops renewing its lock.
      if (Date.now() - started >= budgetMs) return { ...result, nextRunAt: new Date(Date.now() + YIELD_MS) };
      continue;
    }
    const pauseMs = retryDelayMs(options.retryDelayMs, attempt);
    await insertTogether(db, [
      attempt >= MAX_WEBHOOK_ATTEMPTS
        ? db.delete(webhookQueue).where(eq(webhookQueue.id, row.id))
        : db
            .update(webhookQueue)
            .set({ attempts: attempt, nextAttemptAt: sql`now() + make_interval(secs => ${pauseMs / 1000})` })
            .where(eq(webhookQueue.id, row.id)),
      db.insert(webhookDeliveries).values({ ...sent, attempt }),
    ]);
    result.failed++;
    if (attempt >= MAX_WEBHOOK_ATTEMPTS) result.gaveUp++;
    countWebhookFailure({ abandoned: attempt >= MAX_WEBHOOK_ATTEMPTS });
    // The receiver is failing: the organisation waits for this attempt's backoff before its next.
    return { ...result, nextRunAt: new Date(Date.now() + pauseMs) };
  }
  const next = await nextDueAt(db, organisationId);
  // A row that fell due since the last claim waits YIELD_MS, never 0 (see above).
  return { ...result, nextRunAt: next && new Date(Math.max(next.getTime(), Date.now() + YIELD_MS)) };
}

/** When the organisation's next queued event is due, or null when none is queued. */
export async function nextDueAt(db: Executor, organisationId: string): Promise<Date | null> {
  const [row] = await db
    .select({ next: min(webhookQueue.nextAttemptAt) })
    .from(webhookQueue)
    .where(eq(webhookQueue.organisationId, organisationId));
  return row?.next ?? null;
}

/** Adds the organisation's delivery job if it has queued events (a no-op when the job exists). */
export async function scheduleDeliveries(db: Executor, queues: QueueSet, organisationId: string): Promise<boolean> {
  const next = await nextDueAt(db, organisationId);
  if (!next) return false;
  const job = deliveryJob(organisationId);
  await queues
    .get('webhooks')
    .add(job.jobName, job.payload, { jobId: job.jobId, delay: Math.max(0, next.getTime() - Date.now()) });
  return true;
}

/**
 * A job written before deliveries were queued per organisation carries one notification id: its
 * event joins its organisation's queue (with the attempts already recorded), unless it was
 * delivered or given up.
 */
export async function adoptSingleDelivery(db: Database, queues: QueueSet, notificationId: string): Promise<void> {
  const [notification] = await db
    .select({ organisationId: notifications.organisationId })
    .from(notifications)
    .where(eq(notifications.id, notificationId));
  if (!notification) return;
  const recorded = await db
    .select({ succeeded: webhookDeliveries.succeeded })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.notificationId, notificationId));
  if (recorded.some((r) => r.succeeded) || recorded.length >= MAX_WEBHOOK_ATTEMPTS) return;
  await db
    .insert(webhookQueue)
    .values({ notificationId, organisationId: notification.organisationId, attempts: recorded.length })
    .onConflictDoNothing();
  await scheduleDeliveries(db, queues, notification.organisationId);
}

export interface WebhookReconcileReport {
  organisations: number;
  restored: number;
}

/**
 * PostgreSQL holds every queued event: each organisation with one must have its delivery job in
 * Redis (after a flush or a restart of Redis, or a job that failed for good, it is added again).
 */
export async function reconcileWebhookJobs(db: Executor, queues: QueueSet): Promise<WebhookReconcileReport> {
  const pending = await db
    .select({ organisationId: webhookQueue.organisationId, next: min(webhookQueue.nextAttemptAt) })
    .from(webhookQueue)
    .groupBy(webhookQueue.organisationId);
  const queue = queues.get('webhooks');
  const report: WebhookReconcileReport = { organisations: pending.length, restored: 0 };
  for (const { organisationId, next } of pending) {
    const job = deliveryJob(organisationId);
    const state = await queue.getJobState(job.jobId);
    if (state !== 'unknown' && state !== 'completed' && state !== 'failed') continue;
    if (state !== 'unknown') await queue.remove(job.jobId);
    await queue.add(job.jobName, job.payload, {
      jobId: job.jobId,
      delay: Math.max(0, (next?.getTime() ?? 0) - Date.now()),
    });
    report.restored++;
  }
  return report;
}

/**
 * The webhooks queue's handler: a job drains its organisation's due events; a job of the previous
 * shape (one notification id) joins its event to the organisation's queue.
 */
export function webhookDeliveryHandler(
  deps: Pick<WorkerDeps, 'config' | 'db' | 'queues' | 'logger'>,
): QueueHandler<'webhooks'> {
  return {
    process: async (job, token) => {
      if ('notificationId' in job.data) return adoptSingleDelivery(deps.db, deps.queues, job.data.notificationId);
      const result = await drainWebhooks(deps.db, job.data.organisationId, {
        timeoutMs: deps.config.webhookTimeoutMs,
        retryDelayMs: deps.config.webhookRetryDelayMs,
        allowHttpLoopback: deps.config.webhookAllowHttpLoopback,
      });
      if (result.nextRunAt) {
        // The same job runs again then (its backoff, or the next queued event's time); meanwhile
        // new events of the organisation find it and wait with it.
        await job.moveToDelayed(result.nextRunAt.getTime(), token);
        throw new DelayedError();
      }
      return result;
    },
    // An event queued while the organisation's job was finishing found the job still there and
    // added nothing; now that the job is gone, add it again if anything is queued.
    completed: (job) => {
      if (!('organisationId' in job.data)) return;
      const { organisationId } = job.data;
      scheduleDeliveries(deps.db, deps.queues, organisationId).catch((error: unknown) =>
        deps.logger.warn(
          { err: error, organisationId },
          'could not reschedule webhook deliveries; the reconciler will',
        ),
      );
    },
  };
}
