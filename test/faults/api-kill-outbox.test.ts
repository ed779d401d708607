/**
 * The API process killed (SIGKILL) between committing briefings and relaying their outbox:
 * nothing is lost. The process runs against a private Redis that is down, so every escalation
 * timer is committed to the outbox but cannot be relayed; it is then killed outright. A new
 * process started with Redis up relays every timer, and every escalation climbs exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/queue/queues.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { putPolicy, waitFor } from '../helpers/escalation.js';
import { briefingBody, createOrganisation, type Organisation } from '../helpers/fixtures.js';
import { killAllChildren, withTimeout } from '../helpers/processes.js';
import { stoppedPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { climbOncePolicy, escalationsOfOrganisation, expectEachClimbedOnce, outboxCount, waitUntilSettled } from './chain-checks.js';
import { sendJson, spawnApiService } from './service-harness.js';

const BRIEFINGS = 30;
const ACK_SECONDS = 2;

let redis: PrivateRedis;
let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  redis = await stoppedPrivateRedis(); // nothing listens on its port yet
  ctx = await createTestContext({ REDIS_URL: redis.url });
  // Only the service processes may relay: this process's relay would hide a loss.
  await ctx.relay.stop();
  org = await createOrganisation(ctx.app);
  await putPolicy(ctx, org, org.wards[0]!.id, climbOncePolicy(org, ACK_SECONDS));
}, 60_000);

afterAll(async () => {
  await killAllChildren('service');
  await redis?.start().catch(() => undefined); // closing the context talks to Redis
  await withTimeout(ctx?.close() ?? Promise.resolve(), 30_000, 'the test context to close').catch((error: unknown) => console.error(error));
  await redis?.stop();
});

describe('the API process killed before relaying its outbox', () => {
  it('loses no escalation timer: a new process relays them all and every escalation climbs exactly once', async () => {
    const target = { databaseUrl: ctx.config.databaseUrl!, redisUrl: redis.url, queuePrefix: ctx.config.queuePrefix };
    const first = await spawnApiService(target, { role: 'api', env: { OUTBOX_RELAY_INTERVAL_MS: '100' } });
    await first.healthy();

    const ward = org.wards[0]!;
    const ids: string[] = [];
    for (let i = 0; i < BRIEFINGS; i++) {
      const date = new Date(Date.UTC(2031, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      const res = await sendJson(first.baseUrl, 'POST', '/v1/briefings', ward.deviceToken, briefingBody(ward.id, { date }));
      expect(res.status, res.body).toBe(201);
      const escalation = (JSON.parse(res.body) as { items: { escalation: { id: string } | null }[] }).items[0]!.escalation;
      expect(escalation).not.toBeNull();
      ids.push(escalation!.id);
    }
    // Committed: every escalation is in PostgreSQL, its timer in the outbox, nothing in Redis.
    const held = await outboxCount(ctx);
    expect(held).toBeGreaterThanOrEqual(BRIEFINGS);
    expect((await escalationsOfOrganisation(ctx, org.id)).map((e) => e.id).sort()).toEqual([...ids].sort());

    const killed = await first.handle.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');

    await redis.start();
    const restarted = performance.now();
    const second = await spawnApiService(target, {
      role: 'all',
      env: { OUTBOX_RELAY_INTERVAL_MS: '100', WORKER_STALLED_INTERVAL_MS: '1000' },
    });
    await second.healthy();
    await waitFor(async () => (await outboxCount(ctx)) === 0, 30_000, 'the new process to relay the outbox');
    const relayedMs = performance.now() - restarted;

    const queue = ctx.queues.get('escalation-steps');
    const missing: string[] = [];
    for (const id of ids) if (!(await queue.getJob(jobIds.escalationStep(id, 1)))) missing.push(id);
    expect(missing, 'escalations without their timer job').toEqual([]);

    await waitUntilSettled(ctx, ids, 30_000);
    const settledMs = performance.now() - restarted;
    await expectEachClimbedOnce(ctx, org, ids);
    expect(await queue.getFailedCount()).toBe(0);

    const stopped = await second.handle.kill('SIGTERM', 20_000);
    expect(stopped.code, second.handle.stderr().slice(-2000)).toBe(0);
    console.log(
      `[api-kill] ${BRIEFINGS} briefings committed with Redis down (${held} outbox rows), API process SIGKILLed; ` +
        `a new process relayed all ${held} timer jobs ${relayedMs.toFixed(0)} ms after Redis came up, ` +
        `all ${ids.length} escalations climbed exactly once by ${settledMs.toFixed(0)} ms; lost 0, duplicated 0`,
    );
  }, 90_000);
});
