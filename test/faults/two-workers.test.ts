/**
 * Two worker processes (ROLE=worker) consuming the same queue at once, with their reconcilers
 * running every second: each escalation step is applied exactly once.
 * (Kept apart from worker-kill.test.ts, whose 30 s lock expiry fills that file's time budget.)
 */
import { describe, expect, it } from 'vitest';
import { raiseHighRiskItem, sleep } from '../helpers/escalation.js';
import { spawnWorkerProcess, waitForChildren } from '../helpers/processes.js';
import { chainRecords, expectEachClimbedOnce, waitUntilSettled } from './chain-checks.js';
import { useFaultSetup } from './service-harness.js';

const ESCALATIONS = 30;

const setup = useFaultSetup({ ackSeconds: 2 });

describe('two worker processes on one queue', () => {
  it('give every escalation exactly one climb and exactly two notifications', async () => {
    const { ctx, org, target, workerConnections } = setup;
    // The reconciler runs every second in both, racing the workers and each other.
    const env = { WORKER_STALLED_INTERVAL_MS: '1000', RECONCILE_INTERVAL_SECONDS: '1' };
    const t0 = performance.now();
    const workers = [spawnWorkerProcess(target, env), spawnWorkerProcess(target, env)];
    await waitForChildren(workers, workerConnections, 2, 30_000);
    const booted = performance.now() - t0;

    const ids: string[] = [];
    for (let i = 0; i < ESCALATIONS; i++) ids.push((await raiseHighRiskItem(ctx, org)).escalation.id);
    const posted = performance.now() - t0;
    await waitUntilSettled(ctx, ids, 30_000);
    const settled = performance.now() - t0;
    await sleep(1_500); // one more reconciler pass in each process after every chain ended

    await expectEachClimbedOnce(ctx, org, ids);
    const records = await chainRecords(ctx, ids);
    for (const [id, record] of records) {
      expect(
        record.notifications.map((n) => [n.step, n.recipientStaffId]),
        id,
      ).toEqual([
        [1, org.middleManager.id],
        [2, org.seniorManager.id],
      ]);
    }
    expect(
      workers.every((w) => w.isRunning()),
      'both workers still running',
    ).toBe(true);
    expect(await ctx.queues.get('escalation-steps').getWorkersCount()).toBe(2);
    const failed = await ctx.queues.get('escalation-steps').getFailedCount();
    expect(failed, 'no step job failed').toBe(0);

    const exits = await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    console.log(
      `[two-workers] 2 worker processes connected after ${booted.toFixed(0)} ms; ${ids.length} escalations posted by ` +
        `${posted.toFixed(0)} ms, all climbed once and settled by ${settled.toFixed(0)} ms; both stopped cleanly by ` +
        `${(performance.now() - t0).toFixed(0)} ms`,
    );
  }, 60_000);
});
