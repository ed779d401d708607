import { asc, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Executor } from '../db/client.js';
import { outbox } from '../db/schema.js';
import { rowsInsert } from '../db/together.js';
import { currentTraceparent, jobTelemetry } from '../tracing/context.js';
import type { JobPayloads, QueueName, QueueSet } from './queues.js';

export interface OutboxMessage<Q extends QueueName = QueueName> {
  queue: Q;
  jobName: string;
  jobId: string;
  payload: JobPayloads[Q];
  runAt?: Date;
}

/** Written in the caller's transaction, so a job exists exactly when the data it concerns does. */
export async function writeOutbox(tx: Executor, messages: OutboxMessage[]) {
  if (messages.length > 0) await tx.execute(outboxInsert(messages));
}

/** The insert of writeOutbox, to send with other inserts (insertTogether). */
export function outboxInsert(messages: OutboxMessage[]) {
  // The request or job writing the rows: their jobs' spans continue its trace.
  const traceparent = currentTraceparent();
  return rowsInsert(
    outbox,
    messages.map((m) => ({
      queue: m.queue,
      jobName: m.jobName,
      jobId: m.jobId,
      payload: m.payload,
      runAt: m.runAt ?? new Date(),
      traceparent,
    })),
  );
}

const BATCH = 500;

/**
 * Moves outbox rows into BullMQ. Rows are claimed with SKIP LOCKED (several processes may
 * relay at once) and deleted in the same transaction once BullMQ has them; if Redis is down
 * the transaction rolls back and the rows wait for the next attempt. Job ids are
 * deterministic, so a row relayed twice (crash after add, before commit) is one job.
 */
export async function relayOutboxOnce(db: Database, queues: QueueSet): Promise<number> {
  // Fail fast while Redis is away, before any row is locked: BullMQ would otherwise wait for
  // its first connection with the rows (and a database connection) held.
  await queues.ping();
  return db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(outbox)
      .orderBy(asc(outbox.id))
      .limit(BATCH)
      .for('update', { skipLocked: true });
    if (rows.length === 0) return 0;
    const now = Date.now();
    const byQueue = new Map<QueueName, typeof rows>();
    for (const row of rows) {
      const name = row.queue as QueueName;
      byQueue.set(name, [...(byQueue.get(name) ?? []), row]);
    }
    for (const [name, queued] of byQueue) {
      await queues.get(name).addBulk(
        queued.map((row) => ({
          name: row.jobName,
          data: row.payload as never,
          opts: {
            jobId: row.jobId,
            delay: Math.max(0, row.runAt.getTime() - now),
            telemetry: jobTelemetry(row.traceparent),
          },
        })),
      );
    }
    await tx.delete(outbox).where(
      inArray(
        outbox.id,
        rows.map((r) => r.id),
      ),
    );
    return rows.length;
  });
}

export async function outboxBacklog(db: Database): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(outbox);
  return row?.count ?? 0;
}

/** The outbox's rows and how long its oldest has waited (metrics). */
export async function outboxStats(db: Database): Promise<{ backlog: number; oldestAgeSeconds: number }> {
  const [row] = await db
    .select({
      backlog: sql<number>`count(*)::int`,
      oldestAgeSeconds: sql<number>`coalesce(extract(epoch from now() - min(${outbox.createdAt})), 0)::float8`,
    })
    .from(outbox);
  return { backlog: row?.backlog ?? 0, oldestAgeSeconds: Math.max(0, row?.oldestAgeSeconds ?? 0) };
}

export interface OutboxRelay {
  /** Ask for a relay soon (after a commit that wrote outbox rows); never waits, never throws. */
  nudge(): void;
  /** Relay until the outbox is empty (or Redis refuses). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** Under a stream of writes, the next relay waits this long, so each carries many rows. */
const COALESCE_MS = 50;

/**
 * Runs in every process: after each nudge, and every `intervalMs` to pick up anything left. A
 * nudge while a relay runs queues one more, which starts COALESCE_MS after it, so under a stream
 * of writes each relay carries many rows.
 */
export function startOutboxRelay(db: Database, queues: QueueSet, logger: Logger, intervalMs = 1_000): OutboxRelay {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let failing = false;

  const drain = async () => {
    try {
      while (!stopped && (await relayOutboxOnce(db, queues)) === BATCH) {
        /* keep going while full batches come back */
      }
      if (failing) logger.info('outbox relay recovered');
      failing = false;
    } catch (error) {
      if (!failing) logger.warn({ err: error }, 'outbox relay failed; the outbox keeps the work and retries');
      failing = true;
    }
  };

  const run = (delayMs = 0) => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    const wait = delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : Promise.resolve();
    running = wait.then(drain).finally(() => {
      running = null;
      // After a failure, wait for the next tick instead of retrying at once.
      if (again && !failing) {
        again = false;
        run(COALESCE_MS);
      }
      again = false;
    });
  };

  const timer = setInterval(run, intervalMs);
  timer.unref();
  run();

  return {
    nudge: () => run(),
    drain: async () => {
      run();
      while (running && !stopped) {
        await running;
        if (failing) return;
      }
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      if (running) await running;
    },
  };
}
