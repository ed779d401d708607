import type { Logger } from 'pino';
import { startPeriodic } from './background.js';
import type { Database } from './db/client.js';
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
  };
}

/** Starts one worker per queue. Close them before the queues and the database. */
export function startWorkers(deps: WorkerDeps) {
  return runWorkers(deps, processors(deps));
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
      // Planned actions past their due date remind their assignee, once each (marked in PostgreSQL).
      const reminded = await remindOverdueActions(db);
      if (reminded) logger.info({ reminded }, 'reminded assignees of overdue planned actions');
    },
  });
}
