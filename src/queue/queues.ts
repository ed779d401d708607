import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { queueTelemetry } from '../tracing/context.js';

/** Every queue and the payload of its jobs: the one place that names them. */
export interface JobPayloads {
  'escalation-steps': { escalationId: string; step: number };
  /** One organisation's queued webhook deliveries (src/webhooks/queue.ts). A job written before
   * deliveries were queued per organisation carries a single notification id instead. */
  webhooks: { organisationId: string } | { notificationId: string };
  /** The managers' daily e-mail digest (src/digest/): one job a day from a job scheduler. */
  'mail-digests': Record<string, never>;
}
export type QueueName = keyof JobPayloads;
export const QUEUE_NAMES: readonly QueueName[] = ['escalation-steps', 'webhooks', 'mail-digests'];

/** Deterministic job ids (BullMQ ids must not contain ':'). */
export const jobIds = {
  escalationStep: (escalationId: string, step: number) => `step-${escalationId}-${step}`,
  webhooks: (organisationId: string) => `webhooks-${organisationId}`,
};

export const JOB_DEFAULTS: Record<QueueName, JobsOptions> = {
  'escalation-steps': {
    attempts: 10,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: 24 * 3_600, count: 50_000 },
    removeOnFail: { age: 7 * 24 * 3_600 },
  },
  // An organisation's delivery job: its events' attempts and backoff live in PostgreSQL, and
  // the job is removed when it ends so that the next event can add it again at once. One that
  // fails for good (the database away) is added again by the reconciler.
  webhooks: {
    attempts: 10,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: true,
    removeOnFail: true,
  },
  // A day's digests; a retry sends only those not yet sent (digest_sends).
  'mail-digests': {
    attempts: 6,
    backoff: { type: 'exponential', delay: 30_000 },
    removeOnComplete: { age: 30 * 24 * 3_600 },
    removeOnFail: { age: 30 * 24 * 3_600 },
  },
};

export function redisOptions(url: string, purpose: 'producer' | 'worker'): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username || undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    // Workers wait for Redis to come back; producers fail fast so callers never hang on it.
    maxRetriesPerRequest: purpose === 'worker' ? null : 1,
    enableOfflineQueue: purpose === 'worker',
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    connectTimeout: 2_000,
  };
}

export interface QueueSet {
  prefix: string;
  get<Q extends QueueName>(name: Q): Queue<JobPayloads[Q]>;
  /** A plain client for health checks and INFO (BullMQ v6 exposes none). */
  redis: Redis;
  ping(): Promise<void>;
  /** The queues paused by an operator: their jobs wait and nothing runs them. */
  paused(): Promise<QueueName[]>;
  close(): Promise<void>;
}

export function createQueues(redisUrl: string, prefix: string): QueueSet {
  const connection = redisOptions(redisUrl, 'producer') as ConnectionOptions;
  const queues = new Map<QueueName, Queue>();
  for (const name of QUEUE_NAMES) {
    const queue = new Queue(name, {
      connection,
      prefix,
      defaultJobOptions: JOB_DEFAULTS[name],
      telemetry: queueTelemetry(),
    });
    // Connection errors surface on calls; without a listener they would also be thrown as events.
    queue.on('error', () => {});
    queues.set(name, queue);
  }
  const redis = new Redis({ ...redisOptions(redisUrl, 'producer'), lazyConnect: true });
  redis.on('error', () => {});
  return {
    prefix,
    get: <Q extends QueueName>(name: Q) => queues.get(name) as unknown as Queue<JobPayloads[Q]>,
    redis,
    ping: async () => {
      await whenReady(redis, 1_000);
      await redis.ping();
    },
    paused: async () => {
      const states = await Promise.all(
        QUEUE_NAMES.map(async (name) => ((await queues.get(name)!.isPaused()) ? name : null)),
      );
      return states.filter((name): name is QueueName => name !== null);
    },
    close: async () => {
      await Promise.all([...queues.values()].map((q) => q.close()));
      redis.disconnect();
    },
  };
}

/**
 * Resolves once the client is connected, connecting it if it never was. Several callers may
 * ask at once (health checks, the relay, rate limits): all wait for the same connection.
 */
async function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  if (redis.status === 'wait' || redis.status === 'end') redis.connect().catch(() => {});
  await new Promise<void>((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error('Redis is not reachable'));
    }, timeoutMs);
    timer.unref();
    redis.once('ready', onReady);
  });
}
