import { and, eq, isNotNull } from 'drizzle-orm';
import type { Logger } from 'pino';
import { startPeriodic } from '../background.js';
import type { Database, Executor } from '../db/client.js';
import { escalations } from '../db/schema.js';
import { tryAdvisoryXactLock } from '../db/sql.js';
import { reconcileWebhookJobs } from '../webhooks/queue.js';
import { jobIds, type QueueSet } from './queues.js';

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
    .where(and(eq(escalations.state, 'open'), isNotNull(escalations.nextStepAt)));
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

export function startReconciler(db: Database, queues: QueueSet, logger: Logger, intervalSeconds: number) {
  return startPeriodic({
    name: 'timer reconciliation',
    intervalMs: intervalSeconds * 1000,
    logger,
    run: async () => {
      const report = await reconcileTimersOnce(db, queues);
      if (report && (report.restored || report.retried)) logger.warn(report, 'reconciler restored escalation timers');
      // One grouped query and one look-up per organisation with queued events; adding is idempotent.
      const webhooks = await reconcileWebhookJobs(db, queues);
      if (webhooks.restored) logger.warn(webhooks, 'reconciler restored webhook delivery jobs');
    },
  });
}
