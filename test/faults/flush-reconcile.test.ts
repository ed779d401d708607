/**
 * Redis flushed (or replaced by an empty one): PostgreSQL is the system of record, so the
 * reconciler puts every pending escalation timer back, once, and every escalation still climbs
 * exactly once.
 */
import { describe, expect, it } from 'vitest';
import { jobIds } from '../../src/queue/queues.js';
import { reconcileTimers } from '../../src/escalations/timer.js';
import { putPolicy, raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import {
  chainRecords,
  climbOncePolicy,
  climbedCount,
  expectEachClimbedOnce,
  missingStepJobs,
  outboxCount,
  waitUntilSettled,
} from './chain-checks.js';
import { useFaultSetup } from './service-harness.js';

const N = 30;
/** Long enough to create, relay, flush and reconcile all of them before the first deadline. */
const ACK_SECONDS = 8;

const setup = useFaultSetup({ ackSeconds: ACK_SECONDS });

describe('Redis flushed', () => {
  it('restores every lost timer from PostgreSQL, once, and each escalation climbs exactly once', async () => {
    const { ctx, org, redis } = setup;
    const created = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push((await raiseHighRiskItem(ctx, org)).escalation.id);
    await ctx.relay.drain();
    expect(await outboxCount(ctx)).toBe(0);
    expect(await missingStepJobs(ctx, ids, 1)).toEqual([]);

    // Redis loses everything (FLUSHALL on this test's own server).
    expect(await redis.command('FLUSHALL')).toBe('OK');
    expect(await missingStepJobs(ctx, ids, 1)).toHaveLength(N);

    const first = await reconcileTimers(ctx.database.db, ctx.queues);
    expect(first).toEqual({ checked: N, restored: N, retried: 0 });
    expect(await missingStepJobs(ctx, ids, 1)).toEqual([]);
    const states = await Promise.all(
      ids.map(async (id) =>
        (await ctx.queues.get('escalation-steps').getJob(jobIds.escalationStep(id, 1)))!.getState(),
      ),
    );
    // Still waiting for the deadline PostgreSQL recorded, not run at once.
    expect(new Set(states)).toEqual(new Set(['delayed']));

    // Running it again while the jobs exist restores nothing and adds no duplicate.
    const second = await reconcileTimers(ctx.database.db, ctx.queues);
    expect(second).toEqual({ checked: N, restored: 0, retried: 0 });
    expect(await ctx.queues.get('escalation-steps').getJobCountByTypes('delayed', 'wait', 'active')).toBe(N);

    const elapsed = performance.now() - created;
    expect(elapsed, 'setup must finish before the first deadline for the checks above to mean anything').toBeLessThan(
      ACK_SECONDS * 1000,
    );
    expect(await climbedCount(ctx, ids)).toBe(0);

    await ctx.startWorkers();
    await waitUntilSettled(ctx, ids, 30_000);
    // A reconciler pass after the climbs, with the step-2 jobs present, changes nothing either.
    const third = await reconcileTimers(ctx.database.db, ctx.queues);
    expect(third).toEqual({ checked: 0, restored: 0, retried: 0 });
    await expectEachClimbedOnce(ctx, org, ids);
    console.log(
      `[flush-reconcile] ${N} timers lost to FLUSHALL; reconciler restored ${first.restored} (second run ${second.restored}); ` +
        `all climbed once, settled ${(performance.now() - created).toFixed(0)} ms after creation`,
    );
  }, 45_000);

  it('re-arms timers in the middle of the chain: a flush after the climb still ends the chain once', async () => {
    const { ctx, org, redis } = setup;
    await putPolicy(ctx, org, org.wards[0]!.id, {
      ...climbOncePolicy(org, 2),
      maxRepeats: 1,
      repeatEverySeconds: 3_600,
    });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await raiseHighRiskItem(ctx, org)).escalation.id);
    await ctx.relay.drain();
    // Wait for every climb: each escalation now waits at step 2 (one reminder due in 2 s).
    await waitFor(async () => (await climbedCount(ctx, ids)) === ids.length, 20_000, 'every escalation to climb');
    await ctx.relay.drain();
    await redis.command('FLUSHALL');

    const report = await reconcileTimers(ctx.database.db, ctx.queues);
    // A step-2 timer that fired before the flush has nothing left to restore; all others are.
    expect(report.checked).toBeGreaterThan(0);
    expect(report.restored).toBe(report.checked);
    await waitFor(
      async () => {
        const records = await chainRecords(ctx, ids);
        return [...records.values()].every((r) => r.events.some((e) => e.type === 'reminded'));
      },
      20_000,
      'every escalation to send its one reminder',
    );
    const records = await chainRecords(ctx, ids);
    for (const record of records.values()) {
      expect(record.events.map((e) => e.type)).toEqual(['started', 'climbed', 'reminded']);
      expect(record.notifications.map((n) => `${n.type}@${n.step}`)).toEqual([
        'assigned@1',
        'assigned@2',
        'reminder@3',
      ]);
    }
  }, 45_000);
});
