/**
 * SIGTERM under load: a service process (API and workers) is stopped while clients are posting
 * briefings and escalation timers are running. To make "in flight" certain rather than lucky,
 * the test holds a lock (in its own database) that every briefing and every escalation step
 * needs, so at the moment of SIGTERM requests and jobs are provably inside the process; the
 * lock is released a second later. Claims: every request already accepted is answered (2xx, no
 * connection reset), later ones are refused at connect time, the process exits 0, and no BullMQ
 * job is left active (stalled) in Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { putPolicy, sleep, waitFor } from '../helpers/escalation.js';
import { briefingBody, createOrganisation, type Organisation } from '../helpers/fixtures.js';
import { killAllChildren, withTimeout } from '../helpers/processes.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { climbOncePolicy, escalationsOfOrganisation } from './chain-checks.js';
import { ownDatabaseAdmin, sendJson, spawnApiService, type SendResult } from './service-harness.js';

const CLIENTS = 12;
const ACK_SECONDS = 1;

let redis: PrivateRedis;
let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  redis = await startPrivateRedis();
  ctx = await createTestContext({ REDIS_URL: redis.url });
  org = await createOrganisation(ctx.app);
  for (const ward of org.wards) await putPolicy(ctx, org, ward.id, climbOncePolicy(org, ACK_SECONDS));
}, 60_000);

afterAll(async () => {
  await killAllChildren('service');
  await withTimeout(ctx?.close() ?? Promise.resolve(), 30_000, 'the test context to close').catch((error: unknown) => console.error(error));
  await redis?.stop();
});

let day = 0;
const nextDate = () => new Date(Date.UTC(2032, 0, 1) + day++ * 86_400_000).toISOString().slice(0, 10);

interface Outcome {
  res: SendResult;
  startedAt: number;
  endedAt: number;
}

describe('SIGTERM under load', () => {
  it('answers every accepted request, finishes the jobs in flight, exits 0 and leaves no job active', async () => {
    const service = await spawnApiService(
      { databaseUrl: ctx.config.databaseUrl!, redisUrl: redis.url, queuePrefix: ctx.config.queuePrefix },
      { role: 'all', env: { WORKER_STALLED_INTERVAL_MS: '1000', OUTBOX_RELAY_INTERVAL_MS: '100' } },
    );
    await service.healthy();
    const queue = ctx.queues.get('escalation-steps');
    const outcomes: Outcome[] = [];
    let sending = true;
    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      const ward = org.wards[client % 2]!;
      while (sending) {
        const startedAt = performance.now();
        // A new connection per request: a refusal after the listener closed is then an
        // unambiguous ECONNREFUSED, never the keep-alive race of a reused socket.
        const res =
          client % 4 === 3
            ? await sendJson(service.baseUrl, 'GET', '/v1/items?limit=5', org.adminToken, undefined, { fresh: true, timeoutMs: 20_000 })
            : await sendJson(service.baseUrl, 'POST', '/v1/briefings', ward.deviceToken, briefingBody(ward.id, { date: nextDate() }), {
                fresh: true,
                timeoutMs: 20_000,
              });
        outcomes.push({ res, startedAt, endedAt: performance.now() });
        if (res.error === 'ECONNREFUSED') await sleep(50);
      }
    });

    // Load, with escalation timers (1 s) coming due all the time: wait for escalations to exist
    // and for their timers to have started running (a slow machine takes longer).
    await sleep(2_000);
    await waitFor(
      async () => (await escalationsOfOrganisation(ctx, org.id)).length >= 10 && (await queue.getCompletedCount()) >= 1,
      30_000,
      'escalations whose timers are running',
    );
    const admin = await ownDatabaseAdmin(ctx.config.databaseUrl!);
    let signalAt = 0;
    let waitingOnLock = 0;
    let activeAtSignal = 0;
    try {
      // Every briefing and every escalation step writes an escalation event: hold them all. The
      // escalations created before it have 1 s timers, so step jobs queue on the lock too.
      await admin.client.query('begin');
      await admin.client.query('lock table escalation_events in share mode');
      await waitFor(
        async () => (await admin.waitingOnLocks()) >= 4 && (await queue.getActiveCount()) >= 1,
        20_000,
        'requests and step jobs to queue on the lock',
      );
      await sleep(300);
      waitingOnLock = await admin.waitingOnLocks();
      activeAtSignal = await queue.getActiveCount();
      signalAt = performance.now();
      service.handle.child.kill('SIGTERM');
      await sleep(1_000);
    } finally {
      await admin.client.query('commit').catch(() => undefined);
      await admin.close();
    }
    const exit = await withTimeout(service.handle.exited, 30_000, 'the process to exit after SIGTERM');
    const exitedAfterMs = performance.now() - signalAt;
    sending = false;
    await Promise.all(clients);

    const before = outcomes.filter((o) => o.startedAt < signalAt);
    const after = outcomes.filter((o) => o.startedAt >= signalAt);
    const inFlight = before.filter((o) => o.endedAt > signalAt);
    const notAnswered = inFlight.filter((o) => o.res.status === 0);
    // A request sent before SIGTERM must never be dropped; one sent after it may be refused:
    // at connect (listener closed), by a reset of a connection the process never accepted
    // (still in the kernel's listen backlog when the listener closed), or with Fastify's 503.
    const resets = before.filter((o) => o.res.status === 0);
    const errors = before.filter((o) => o.res.status >= 500);
    const refused = after.filter((o) => o.res.error === 'ECONNREFUSED');
    const backlogResets = after.filter((o) => o.res.status === 0 && o.res.error !== 'ECONNREFUSED');
    const shed = after.filter((o) => o.res.status === 503);
    const servedAfter = after.filter((o) => o.res.status >= 200 && o.res.status < 300);
    const otherAfter = after.filter((o) => o.res.status !== 0 && o.res.status !== 503 && !(o.res.status >= 200 && o.res.status < 300));
    const ok = outcomes.filter((o) => o.res.status >= 200 && o.res.status < 300);

    const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'completed', 'failed');
    const escalations = await escalationsOfOrganisation(ctx, org.id);
    console.log(
      `[sigterm] ${CLIENTS} clients, ${outcomes.length} requests (${ok.length} 2xx); at SIGTERM ${inFlight.length} requests in flight ` +
        `(${waitingOnLock} database sessions waiting on the held lock, ${activeAtSignal} step jobs active): ` +
        `${inFlight.length - notAnswered.length}/${inFlight.length} answered 2xx; of requests sent before SIGTERM ${resets.length} ` +
        `dropped, ${errors.length} 5xx; after SIGTERM ${refused.length} refused at connect, ${backlogResets.length} reset unaccepted, ` +
        `${shed.length} shed with 503, ${servedAfter.length} served; exit code ${exit.code} ${exitedAfterMs.toFixed(0)} ms after SIGTERM; ` +
        `queue afterwards: ${JSON.stringify(counts)}; ${escalations.length} escalations`,
    );
    expect(exit.code, service.handle.stderr().slice(-3000)).toBe(0);
    expect(inFlight.length, 'requests were in flight at SIGTERM').toBeGreaterThan(0);
    expect(inFlight.filter((o) => o.res.status < 200 || o.res.status >= 300).map((o) => `${o.res.status || o.res.error} ${o.res.body.slice(0, 200)}`)).toEqual([]);
    expect(resets.map((o) => o.res.error), 'requests sent before SIGTERM that were reset or hung').toEqual([]);
    expect(errors.map((o) => `${o.res.status} ${o.res.body.slice(0, 200)}`)).toEqual([]);
    expect(otherAfter.map((o) => `${o.res.status} ${o.res.body.slice(0, 200)}`), 'answers after SIGTERM').toEqual([]);
    expect(activeAtSignal, 'step jobs were running at SIGTERM').toBeGreaterThan(0);
    expect(counts.active, 'jobs left active (stalled) in Redis').toBe(0);
    expect(counts.failed, 'failed jobs').toBe(0);
    // Every briefing answered 201 is stored with its escalation (none half-written).
    const created = ok.filter((o) => o.res.status === 201).length;
    expect(escalations.length).toBe(created);
  }, 90_000);
});
