/**
 * Worker processes killed mid-flight (SIGKILL: no graceful shutdown) and several workers at
 * once: every escalation step is applied exactly once, none lost, none doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { putPolicy, raiseHighRiskItem, sleep, waitFor } from '../helpers/escalation.js';
import { createOrganisation, type Organisation } from '../helpers/fixtures.js';
import { killAllChildren, spawnService, withTimeout, type ChildHandle } from '../helpers/processes.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { climbOncePolicy, climbedCount, expectEachClimbedOnce, waitUntilSettled } from './chain-checks.js';

const ACK_SECONDS = 2;
const STALLED_INTERVAL_MS = 1_000;

let redis: PrivateRedis;
let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  redis = await startPrivateRedis();
  // The context's own relay stays on; it runs no workers: the child processes do.
  ctx = await createTestContext({ REDIS_URL: redis.url });
  org = await createOrganisation(ctx.app);
  await putPolicy(ctx, org, org.wards[0]!.id, climbOncePolicy(org, ACK_SECONDS));
});

afterAll(async () => {
  await killAllChildren();
  const st = () => (['escalation-steps', 'webhooks'] as const).map((n) => (ctx.queues.get(n) as any).backend.connection._client.status);
  console.log('DEBUG statuses', st(), ctx.queues.redis.status);
  for (const n of ['escalation-steps', 'webhooks'] as const) {
    const t = Date.now();
    try { await ctx.queues.get(n).obliterate({ force: true }); console.log('DEBUG obliterated', n, Date.now() - t, st()); } catch (e) { console.log('DEBUG obliterate failed', n, Date.now() - t, e, st()); }
  }
  await withTimeout(ctx?.close() ?? Promise.resolve(), 30_000, 'the test context to close').catch((error: unknown) =>
    console.error(error),
  );
  await redis?.stop();
});

/** A worker process exactly as deployed (ROLE=worker), against this test's database and queues. */
function spawnWorker(): ChildHandle {
  return spawnService({
    env: {
      ROLE: 'worker',
      DATABASE_URL: ctx.config.databaseUrl!,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: ctx.config.queuePrefix,
      WORKER_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
      LOG_LEVEL: 'warn',
      BOOTSTRAP_ADMIN_TOKEN: PLATFORM_TOKEN,
    },
  });
}

/** Waits until `count` worker connections consume the escalation queue (or a child dies). */
async function waitForWorkers(count: number, children: ChildHandle[]) {
  await waitFor(
    async () => {
      const dead = children.find((c) => !c.isRunning());
      if (dead) throw new Error(`worker process exited early: ${dead.stderr().slice(-2000)}`);
      return (await ctx.queues.get('escalation-steps').getWorkersCount()) === count;
    },
    20_000,
    `${count} worker(s) to connect`,
  );
}

async function raise(count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await raiseHighRiskItem(ctx, org)).escalation.id);
  return ids;
}

describe('worker processes killed mid-flight', () => {
  it('loses no step and applies none twice when workers are SIGKILLed while processing', async () => {
    const started = performance.now();
    let worker = spawnWorker();
    await waitForWorkers(1, [worker]);

    const ids = await raise(40);
    const kills: { at: number; climbedBefore: number; active: number }[] = [];
    // Kill the worker as soon as it has climbed something, three times over.
    for (let round = 0; round < 3; round++) {
      const floor = await climbedCount(ctx, ids);
      await waitFor(async () => (await climbedCount(ctx, ids)) > floor, 15_000, `a climb by worker ${round + 1}`);
      const active = await ctx.queues.get('escalation-steps').getActiveCount();
      await worker.kill('SIGKILL');
      kills.push({ at: Math.round(performance.now() - started), climbedBefore: await climbedCount(ctx, ids), active });
      worker = spawnWorker();
      await waitForWorkers(1, [worker]);
    }
    const lastStart = performance.now();
    await waitUntilSettled(ctx, ids, 45_000);
    const settledMs = performance.now() - lastStart;
    console.log(
      `[worker-kill] kills: ${JSON.stringify(kills)}; all ${ids.length} settled ${settledMs.toFixed(0)} ms after the last worker started`,
    );
    await expectEachClimbedOnce(ctx, org, ids);
    await worker.kill('SIGTERM');
  }, 120_000);
});
