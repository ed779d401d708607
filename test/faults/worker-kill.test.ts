/**
 * Worker processes killed mid-flight (SIGKILL: no graceful shutdown): every escalation step is
 * applied exactly once, none lost, none doubled.
 */
import { describe, expect, it } from 'vitest';
import { jobIds } from '../../src/queue/queues.js';
import { raiseHighRiskItem, sleep } from '../helpers/escalation.js';
import { spawnWorkerProcess, waitForChildren, type ChildHandle } from '../helpers/processes.js';
import { climbedCount, expectEachClimbedOnce, waitUntilSettled } from './chain-checks.js';
import { useFaultSetup } from './service-harness.js';

const ESCALATIONS = 40;
const ACK_SECONDS = 2;
const STALLED_INTERVAL_MS = 1_000;
const KILLS = 2;
/**
 * A job in flight on a killed worker keeps its lock until the lock expires (BullMQ's default
 * lockDuration, 30 s: src/queue/workers.ts sets only stalledInterval), then the next stalled
 * check hands it to a live worker. The bound leaves room for that and for the step after it.
 */
const RECOVERY_LIMIT_MS = 45_000;

// The context relays its outbox but runs no workers: the child processes do.
const setup = useFaultSetup({ ackSeconds: ACK_SECONDS });

function spawnWorker(): ChildHandle {
  return spawnWorkerProcess(setup.target, { WORKER_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS) });
}

/** Polls fast: the window between a step's commit and its job's completion is milliseconds. */
async function waitForClimbsAbove(worker: ChildHandle, ids: string[], floor: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!worker.isRunning()) throw new Error(`worker process exited early:\n${worker.stderr().slice(-2000)}`);
    const n = await climbedCount(setup.ctx, ids);
    if (n > floor) return n;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for more than ${floor} climbs`);
    await sleep(5);
  }
}

/** Step jobs that a stalled-job check took back from a dead worker and ran again. */
async function takenOver(ids: string[]) {
  const queue = setup.ctx.queues.get('escalation-steps');
  const jobs = await Promise.all(ids.flatMap((id) => [1, 2].map((step) => queue.getJob(jobIds.escalationStep(id, step)))));
  return jobs.filter((job) => job !== undefined && job.stalledCounter > 0).map((job) => job!);
}

describe('worker processes killed mid-flight', () => {
  it('loses no step and applies none twice when workers are SIGKILLed while processing', async () => {
    const { ctx, org, workerConnections } = setup;
    const started = performance.now();
    const since = () => Math.round(performance.now() - started);
    let worker = spawnWorker();
    await waitForChildren([worker], workerConnections, 1);

    const ids: string[] = [];
    const kills: { atMs: number; climbedBefore: number }[] = [];
    // One wave of escalations per worker; each worker is killed right after it commits its first
    // climb of the wave, while that job (and others) is still in flight. The next worker starts
    // at once and boots while its wave is being posted.
    for (let round = 0; round < KILLS; round++) {
      const wave: string[] = [];
      for (let i = 0; i < ESCALATIONS / KILLS; i++) wave.push((await raiseHighRiskItem(ctx, org)).escalation.id);
      ids.push(...wave);
      await waitForClimbsAbove(worker, wave, 0, 30_000);
      await worker.kill('SIGKILL');
      kills.push({ atMs: since(), climbedBefore: await climbedCount(ctx, ids) });
      worker = spawnWorker();
    }
    await waitForChildren([worker], workerConnections, 1, 30_000);
    const lastKill = kills[kills.length - 1]!.atMs;
    await waitUntilSettled(ctx, ids, RECOVERY_LIMIT_MS);
    const settledAt = since();

    await expectEachClimbedOnce(ctx, org, ids);
    // The kills really interrupted jobs, and a live worker took them over and finished them.
    const recovered = await takenOver(ids);
    expect(recovered.length, 'step jobs interrupted by a kill and run again').toBeGreaterThan(0);
    expect(recovered.every((job) => job.finishedOn !== undefined)).toBe(true);
    console.log(
      `[worker-kill] ${KILLS} SIGKILLs at ${kills.map((k) => `${k.atMs} ms (after ${k.climbedBefore} climbs)`).join(', ')}; ` +
        `${recovered.length} interrupted step jobs were taken over; all ${ids.length} escalations climbed once and ` +
        `settled ${settledAt - lastKill} ms after the last kill (stalled interval ${STALLED_INTERVAL_MS} ms, ` +
        `BullMQ default lock duration 30000 ms)`,
    );

    await worker.kill('SIGTERM');
    expect((await worker.exited).code, 'a worker stops cleanly on SIGTERM').toBe(0);
  }, 90_000);
});
