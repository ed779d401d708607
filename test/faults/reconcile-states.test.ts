/**
 * Timer jobs that Redis still has but that will never move the escalation on: one that failed
 * for good, and one that completed without the step being applied (say, the database went away
 * mid-commit). The reconciler must put both back in the queue; PostgreSQL says the step is due.
 */
import { Worker, type ConnectionOptions } from 'bullmq';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { jobIds, redisOptions } from '../../src/queue/queues.js';
import { reconcileTimers, reconcileTimersOnce } from '../../src/queue/reconciler.js';
import { raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import { useFaultSetup } from './service-harness.js';

/** Long enough that no real deadline falls due during the test. */
const setup = useFaultSetup({ ackSeconds: 3_600 });

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
    // Both are waiting to run again; neither escalation has moved on.
    expect(await queue.getJobState(failId)).toBe('waiting');
    expect(await queue.getJobState(doneId)).toBe('waiting');
    const again = await reconcileTimers(ctx.database.db, ctx.queues);
    expect(again).toEqual({ checked: 2, restored: 0, retried: 0 });
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
