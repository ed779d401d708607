/**
 * Timer jobs that Redis still has but that will never move the escalation on: one that failed
 * for good, and one that completed without the step being applied (say, the database went away
 * mid-commit). The reconciler must put both back in the queue; PostgreSQL says the step is due.
 */
import { Worker, type ConnectionOptions } from 'bullmq';
import { eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { escalations } from '../../src/db/schema.js';
import { jobIds, redisOptions } from '../../src/queue/queues.js';
import { reconcileTimers, reconcileTimersOnce } from '../../src/escalations/timer.js';
import { processors } from '../../src/jobs.js';
import { raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import { useFaultSetup } from './service-harness.js';

/** Long enough that no real deadline falls due during the test. */
const setup = useFaultSetup({ ackSeconds: 3_600 });
const silent = pino({ level: 'silent' });

/** The job runs when the escalation's next step is due (give or take the test's own pace). */
async function expectDueAt(jobId: string, escalationId: string) {
  const [row] = await setup.ctx.database.db.select().from(escalations).where(eq(escalations.id, escalationId));
  const job = (await setup.ctx.queues.get('escalation-steps').getJob(jobId))!;
  const runsAt = job.timestamp + job.delay;
  expect(Math.abs(runsAt - row!.nextStepAt!.getTime()), `runs at ${new Date(runsAt).toISOString()}`).toBeLessThan(
    60_000,
  );
}

describe('timer jobs that ended without applying their step', () => {
  it('retries the failed one and queues the completed one again', async () => {
    const { ctx, org, redis } = setup;
    const failing = (await raiseHighRiskItem(ctx, org)).escalation.id;
    const finished = (await raiseHighRiskItem(ctx, org)).escalation.id;
    await ctx.relay.drain();
    const queue = ctx.queues.get('escalation-steps');
    const failId = jobIds.escalationStep(failing, 1);
    const doneId = jobIds.escalationStep(finished, 1);
    expect(await queue.getJobState(failId)).toBe('delayed');

    // Both timers run now, in a worker that fails one and completes the other without touching
    // the database (the service's own workers are not running in this test).
    for (const [jobId, escalationId] of [
      [failId, failing],
      [doneId, finished],
    ] as const) {
      await queue.remove(jobId);
      await queue.add('escalation-step', { escalationId, step: 1 }, { jobId, attempts: 1 });
    }
    const worker = new Worker(
      'escalation-steps',
      async (job) => {
        if (job.id === failId) throw new Error('simulated failure');
      },
      { connection: redisOptions(redis.url, 'worker') as ConnectionOptions, prefix: ctx.queues.prefix },
    );
    try {
      await waitFor(
        async () => (await queue.getJobState(failId)) === 'failed' && (await queue.getJobState(doneId)) === 'completed',
        15_000,
        'one timer job to fail and the other to complete',
      );
    } finally {
      await worker.close();
    }

    const report = await reconcileTimers(ctx.database.db, ctx.queues);
    expect(report).toEqual({ checked: 2, restored: 1, retried: 1 });
    // The failed one runs again now (and, its deadline not come, waits for it); the completed one
    // is queued again for its due time, not at once. Neither escalation has moved on.
    expect(await queue.getJobState(failId)).toBe('waiting');
    expect(await queue.getJobState(doneId)).toBe('delayed');
    await expectDueAt(doneId, finished);
    const again = await reconcileTimers(ctx.database.db, ctx.queues);
    expect(again).toEqual({ checked: 2, restored: 0, retried: 0 });
  }, 30_000);

  it('queues again, for its due time, a timer whose step was changed by hand so that it completed without acting', async () => {
    const { ctx, org, redis } = setup;
    const id = (await raiseHighRiskItem(ctx, org)).escalation.id;
    await ctx.relay.drain();
    const queue = ctx.queues.get('escalation-steps');
    const jobId = jobIds.escalationStep(id, 1);
    // What was done through Bull Board: the job's step changed, then the job promoted. The
    // service's own handler runs it, finds a step the escalation is not at, and does nothing.
    const job = (await queue.getJob(jobId))!;
    await job.updateData({ escalationId: id, step: 2 });
    await job.promote();
    const handlers = processors({
      config: ctx.config,
      db: ctx.database.db,
      queues: ctx.queues,
      relay: ctx.relay,
      logger: silent,
    });
    const worker = new Worker('escalation-steps', handlers['escalation-steps'].process, {
      connection: redisOptions(redis.url, 'worker') as ConnectionOptions,
      prefix: ctx.queues.prefix,
    });
    try {
      await waitFor(
        async () => (await queue.getJobState(jobId)) === 'completed',
        15_000,
        'the changed timer to complete',
      );
    } finally {
      await worker.close();
    }

    const report = await reconcileTimers(ctx.database.db, ctx.queues);
    expect(report.restored).toBe(1);
    expect(await queue.getJobState(jobId)).toBe('delayed');
    expect((await queue.getJob(jobId))!.data).toEqual({ escalationId: id, step: 1 });
    await expectDueAt(jobId, id);
    const [row] = await ctx.database.db.select().from(escalations).where(eq(escalations.id, id));
    expect(row).toMatchObject({ level: 0, step: 1 });
  }, 30_000);

  it('runs one pass at a time across processes; the others skip theirs', async () => {
    const { ctx, org } = setup;
    const id = (await raiseHighRiskItem(ctx, org)).escalation.id;
    await ctx.relay.drain();
    const queue = ctx.queues.get('escalation-steps');
    const jobId = jobIds.escalationStep(id, 1);
    await queue.remove(jobId); // a lost timer, for a pass to find

    // Another process's pass, holding the reconciler's lock in its transaction.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const other = ctx.database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('timer-reconciler', 0))`);
      locked();
      await held;
    });
    await isLocked;
    expect(await reconcileTimersOnce(ctx.database.db, ctx.queues)).toBeNull();
    expect(await queue.getJobState(jobId)).toBe('unknown'); // this process did nothing
    release();
    await other;

    const report = await reconcileTimersOnce(ctx.database.db, ctx.queues);
    expect(report?.restored).toBeGreaterThanOrEqual(1);
    expect(await queue.getJobState(jobId)).toBe('delayed');
  }, 30_000);
});
