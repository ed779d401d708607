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

const WAVE = 20;
const ACK_SECONDS = 2;
const STALLED_INTERVAL_MS = 1_000;
/** Kills continue, one wave each, until one has caught jobs in flight (at least 2 kills). */
const MIN_KILLS = 2;
const MAX_KILLS = 6;
/**
 * A job in flight on a killed worker keeps its lock until the lock expires (src/queue/workers.ts
 * sets lockDuration to twice the stalled interval, at least 5 s), then the next stalled check
 * hands it to a live worker. The bound leaves ample room for that and for the step after it.
 */
const RECOVERY_LIMIT_MS = 45_000;
/** Far longer than Redis takes to read what a dead client sent, far shorter than a job's lock. */
const COMMANDS_IN_FLIGHT_MS = 300;

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

async function stepJobs(ids: string[]) {
  const queue = setup.ctx.queues.get('escalation-steps');
  const jobs = await Promise.all(
    ids.flatMap((id) => [1, 2].map((step) => queue.getJob(jobIds.escalationStep(id, step)))),
  );
  return jobs.filter((job) => job !== undefined);
}

/** Step jobs left active by a dead worker: it took them and never finished them. */
async function interruptedBy(ids: string[]) {
  const states = await Promise.all(
    (await stepJobs(ids)).map(async (job) => ({ id: job.id!, state: await job.getState() })),
  );
  return states.filter((job) => job.state === 'active').map((job) => job.id);
}

describe('worker processes killed mid-flight', () => {
  it('loses no step and applies none twice when workers are SIGKILLed while processing', async () => {
    const { ctx, org, workerConnections } = setup;
    const started = performance.now();
    const since = () => Math.round(performance.now() - started);
    let worker = spawnWorker();
    await waitForChildren([worker], workerConnections, 1);

    const ids: string[] = [];
    const interrupted: string[] = [];
    const kills: { atMs: number; climbedBefore: number; inFlight: number }[] = [];
    // One wave of escalations per worker, posted together so that their timers fall due together;
    // each worker is killed right after it commits its first climb of the wave, while it has more
    // of the wave in hand. Whether a kill caught jobs in flight is read from BullMQ: with no
    // worker alive, a job still active was taken and never finished. The next worker starts at
    // once and boots while its wave is being posted.
    while (kills.length < MIN_KILLS || (interrupted.length === 0 && kills.length < MAX_KILLS)) {
      const wave = await Promise.all(
        Array.from({ length: WAVE }, async () => (await raiseHighRiskItem(ctx, org)).escalation.id as string),
      );
      ids.push(...wave);
      await waitForClimbsAbove(worker, wave, 0, 30_000);
      await worker.kill('SIGKILL');
      // Commands the worker wrote just before it died (a job's completion) may still sit unread on
      // Redis's side of its socket. Redis applies what a connection sent before it drops the
      // connection, so once the dead worker's connections are gone from Redis, and after a pause,
      // a job still active was taken and never finished (with no worker alive nothing else
      // changes a job).
      await waitForChildren([], workerConnections, 0, 10_000);
      await sleep(COMMANDS_IN_FLIGHT_MS);
      const inFlight = await interruptedBy(wave);
      interrupted.push(...inFlight);
      kills.push({ atMs: since(), climbedBefore: await climbedCount(ctx, ids), inFlight: inFlight.length });
      worker = spawnWorker();
    }
    await waitForChildren([worker], workerConnections, 1, 30_000);
    const lastKill = kills[kills.length - 1]!.atMs;
    await waitUntilSettled(ctx, ids, RECOVERY_LIMIT_MS);
    const settledAt = since();

    await expectEachClimbedOnce(ctx, org, ids);
    // The kills really interrupted jobs, and a live worker took each of them over and finished it.
    expect(interrupted.length, 'step jobs a kill caught in flight').toBeGreaterThan(0);
    const taken = new Map((await stepJobs(ids)).map((job) => [job.id!, job]));
    for (const id of interrupted) {
      const job = taken.get(id);
      expect(job?.stalledCounter, `${id} was taken back from the dead worker`).toBeGreaterThan(0);
      expect(job?.finishedOn, `${id} was finished by a live worker`).toBeDefined();
    }
    console.log(
      `[worker-kill] ${kills.length} SIGKILLs at ` +
        `${kills.map((k) => `${k.atMs} ms (after ${k.climbedBefore} climbs, ${k.inFlight} jobs in flight)`).join(', ')}; ` +
        `all ${interrupted.length} interrupted step jobs were taken over and finished; all ${ids.length} escalations ` +
        `climbed once and settled ${settledAt - lastKill} ms after the last kill (stalled interval ${STALLED_INTERVAL_MS} ms)`,
    );

    await worker.kill('SIGTERM');
    expect((await worker.exited).code, 'a worker stops cleanly on SIGTERM').toBe(0);
  }, 150_000);
});
