/**
 * A Redis that may evict keys would silently lose queued escalation timers: workers refuse to
 * start against it, naming the policy and the fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEvictionError } from '../../src/queue/workers.js';
import { createTestContext, PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { killAllChildren, spawnWorkerProcess, withTimeout } from '../helpers/processes.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';

let redis: PrivateRedis;
let ctx: TestContext;

beforeAll(async () => {
  redis = await startPrivateRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
  ctx = await createTestContext({ REDIS_URL: redis.url });
});

afterAll(async () => {
  await killAllChildren('service');
  await withTimeout(ctx?.close() ?? Promise.resolve(), 30_000, 'the test context to close').catch((error: unknown) =>
    console.error(error),
  );
  await redis?.stop();
});

describe('Redis with an eviction policy', () => {
  it('startWorkers rejects with RedisEvictionError naming the policy and "noeviction"', async () => {
    expect(await redis.command<string[]>('CONFIG', 'GET', 'maxmemory-policy')).toEqual([
      'maxmemory-policy',
      'allkeys-lru',
    ]);
    const error = await ctx.startWorkers().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RedisEvictionError);
    expect((error as Error).message).toContain('"allkeys-lru"');
    expect((error as Error).message).toContain('noeviction');
    // Refused before any worker connected to the queues.
    expect(await ctx.queues.get('escalation-steps').getWorkersCount()).toBe(0);
    expect(await ctx.queues.get('webhooks').getWorkersCount()).toBe(0);
  });

  it('a worker process (ROLE=worker) exits non-zero with that message on stderr', async () => {
    const child = spawnWorkerProcess({
      databaseUrl: ctx.config.databaseUrl!,
      redisUrl: redis.url,
      queuePrefix: ctx.config.queuePrefix,
      bootstrapAdminToken: PLATFORM_TOKEN,
    });
    const exit = await withTimeout(child.exited, 30_000, 'the worker process to exit');
    console.log(`[eviction] worker process exited with code ${exit.code}; stderr: ${child.stderr().trim()}`);
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    // The service's own message (BullMQ also prints an "IMPORTANT! Eviction policy" warning).
    const line = child
      .stderr()
      .split('\n')
      .find((l) => l.startsWith('failed to start:'));
    expect(line, child.stderr()).toBeDefined();
    expect(line).toContain('maxmemory-policy is "allkeys-lru"');
    expect(line).toContain('"noeviction"');
    expect(await ctx.queues.get('escalation-steps').getWorkersCount()).toBe(0);
  });

  it('starts once the policy is noeviction (the check is not a blanket refusal)', async () => {
    await redis.command('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    await ctx.startWorkers();
    expect(await ctx.queues.get('escalation-steps').getWorkersCount()).toBe(1);
  });
});
