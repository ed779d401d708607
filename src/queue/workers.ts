import { DelayedError, Worker, type ConnectionOptions, type Processor } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Relay } from '../deps.js';
import { runEscalationStep } from '../escalations/engine.js';
import { adoptSingleDelivery, drainWebhooks, scheduleDeliveries } from '../webhooks/queue.js';
import { redisOptions, type JobPayloads, type QueueName, type QueueSet } from './queues.js';

export class RedisEvictionError extends Error {
  override name = 'RedisEvictionError';
}

/** BullMQ loses jobs when Redis evicts keys; refuse to start rather than lose escalations. */
export async function assertNoEviction(queues: QueueSet) {
  await queues.ping();
  const info = await queues.redis.info('memory');
  const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
  if (policy && policy !== 'noeviction') {
    throw new RedisEvictionError(
      `Redis maxmemory-policy is "${policy}"; workers need "noeviction" so queued escalation timers are never evicted. ` +
        'Set it with: redis-cli CONFIG SET maxmemory-policy noeviction (and in redis.conf).',
    );
  }
}

export interface WorkerDeps {
  config: Config;
  db: Database;
  queues: QueueSet;
  relay: Relay;
  logger: Logger;
}

/** The processor of each queue; exported so tests can run a handler directly. */
export function processors(deps: WorkerDeps): { [Q in QueueName]: Processor<JobPayloads[Q]> } {
  return {
    'escalation-steps': async (job, token) => {
      const outcome = await runEscalationStep({ db: deps.db, relay: deps.relay }, job.data);
      if (typeof outcome === 'string') return outcome;
      // Run before its time: back to the delayed set for the time that is left (BullMQ's way
      // for a job to reschedule itself; it counts as no attempt).
      await job.moveToDelayed(outcome.dueAt.getTime(), token);
      throw new DelayedError();
    },
    webhooks: async (job, token) => {
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
  };
}

/**
 * Waits for Redis (capture goes on meanwhile; the outbox keeps the work), then checks its
 * eviction policy. A wrong policy is fatal: the caller must not run workers on it.
 */
export async function waitForQueueRedis(deps: Pick<WorkerDeps, 'queues' | 'logger'>, retryMs = 2_000) {
  for (let attempt = 0; ; attempt++) {
    try {
      await assertNoEviction(deps.queues);
      if (attempt > 0) deps.logger.info('Redis is reachable; starting workers');
      return;
    } catch (error) {
      if (error instanceof RedisEvictionError) throw error;
      if (attempt === 0) deps.logger.warn({ err: error }, 'Redis is unreachable; workers will start when it returns');
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}

/** Starts one worker per queue. Close them before the queues and the database. */
export async function startWorkers(deps: WorkerDeps) {
  await assertNoEviction(deps.queues);
  const connection = redisOptions(deps.config.redisUrl, 'worker') as ConnectionOptions;
  const handlers = processors(deps);
  const workers = (Object.keys(handlers) as QueueName[]).map((name) => {
    const worker = new Worker(name, handlers[name] as Processor, {
      connection,
      prefix: deps.queues.prefix,
      concurrency: deps.config.workerConcurrency,
      stalledInterval: deps.config.workerStalledIntervalMs,
      // A dead worker's jobs are taken over once its lock lapses; live workers renew theirs.
      lockDuration: Math.min(30_000, Math.max(5_000, 2 * deps.config.workerStalledIntervalMs)),
      maxStalledCount: 5,
    });
    worker.on('failed', (job, error) =>
      deps.logger.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed'),
    );
    worker.on('error', (error) => deps.logger.warn({ queue: name, err: error }, 'worker error'));
    if (name === 'webhooks') {
      // An event queued while the organisation's job was finishing found the job still there and
      // added nothing; now that the job is gone, add it again if anything is queued.
      worker.on('completed', (job) => {
        const data = job.data as JobPayloads['webhooks'];
        if (!('organisationId' in data)) return;
        scheduleDeliveries(deps.db, deps.queues, data.organisationId).catch((error: unknown) =>
          deps.logger.warn({ err: error, organisationId: data.organisationId }, 'could not reschedule webhook deliveries; the reconciler will'),
        );
      });
    }
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    workers,
    /** Stop taking jobs and wait for those in flight. */
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
