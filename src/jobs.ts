import type { Logger } from 'pino';
import type { MailConfig } from './config.js';
import { startPeriodic } from './background.js';
import type { Database } from './db/client.js';
import { digestHandler, scheduleDigests } from './digest/queue.js';
import { remindOverdueActions } from './escalations/action-reminders.js';
import { escalationStepHandler, reconcileTimersOnce } from './escalations/timer.js';
import type { QueueSet } from './queue/queues.js';
import { runWorkers, type QueueHandlers, type WorkerDeps } from './queue/workers.js';
import { reconcileWebhookJobs, webhookDeliveryHandler } from './webhooks/queue.js';

/**
 * What a worker process runs: each queue's handler, from the feature that owns the queue, and the
 * reconciler that rebuilds their jobs from PostgreSQL. src/queue holds only the mechanics.
 */

/** The handler of each queue; exported so tests can run one directly. */
export function processors(deps: WorkerDeps): QueueHandlers {
  return {
    'escalation-steps': escalationStepHandler(deps),
    webhooks: webhookDeliveryHandler(deps),
    'mail-digests': digestHandler(deps),
  };
}

/** Starts one worker per queue, and the daily digest's schedule. Close them before the queues and the database. */
export async function startWorkers(deps: WorkerDeps) {
  const workers = await runWorkers(deps, processors(deps));
  await scheduleDigests(deps.queues, deps.config.mail);
  return workers;
}

export function startReconciler(
  db: Database,
  queues: QueueSet,
  logger: Logger,
  intervalSeconds: number,
  mail: MailConfig | null = null,
) {
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
      // Planned actions past their due date remind their assignee, once each (marked in PostgreSQL).
      const reminded = await remindOverdueActions(db);
      if (reminded) logger.info({ reminded }, 'reminded assignees of overdue planned actions');
      // The digest's schedule lives in Redis: put back if a flush lost it (upserting is idempotent).
      await scheduleDigests(queues, mail);
    },
  });
}
