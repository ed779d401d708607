import { Worker, type ConnectionOptions, type Job, type Processor } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Relay } from '../deps.js';
import { queueTelemetry } from '../tracing/context.js';
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

/** What a queue's jobs do, given by the feature that owns the queue. */
export interface QueueHandler<Q extends QueueName> {
  process: Processor<JobPayloads[Q]>;
  /** After a job has completed (and been removed when its options say so). Never throws. */
  completed?: (job: Job<JobPayloads[Q]>) => void;
}

export type QueueHandlers = { [Q in QueueName]: QueueHandler<Q> };

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

/** Starts one worker per queue, running its handler. Close them before the queues and the database. */
export async function runWorkers(deps: Pick<WorkerDeps, 'config' | 'queues' | 'logger'>, handlers: QueueHandlers) {
  await assertNoEviction(deps.queues);
  const connection = redisOptions(deps.config.redisUrl, 'worker') as ConnectionOptions;
  const workers = (Object.keys(handlers) as QueueName[]).map((name) => {
    const handler = handlers[name] as QueueHandler<QueueName>;
    const worker = new Worker<JobPayloads[QueueName]>(name, handler.process, {
      connection,
      prefix: deps.queues.prefix,
      concurrency: deps.config.workerConcurrency,
      stalledInterval: deps.config.workerStalledIntervalMs,
      // A dead worker's jobs are taken over once its lock lapses; live workers renew theirs.
      lockDuration: Math.min(30_000, Math.max(5_000, 2 * deps.config.workerStalledIntervalMs)),
      maxStalledCount: 5,
      // With tracing on, each job runs in a span that continues the trace of the work that queued it.
      telemetry: queueTelemetry(),
    });
    worker.on('failed', (job, error) =>
      deps.logger.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed'),
    );
    worker.on('error', (error) => deps.logger.warn({ queue: name, err: error }, 'worker error'));
    const completed = handler.completed;
    if (completed) worker.on('completed', (job) => completed(job));
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
