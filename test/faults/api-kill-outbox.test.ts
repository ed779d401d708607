/**
 * The API process killed (SIGKILL) between committing briefings and relaying their outbox:
 * nothing is lost. The process runs against a private Redis that is down, so every escalation
 * timer is committed to the outbox but cannot be relayed; it is then killed outright. A new
 * process started with Redis up relays every timer, and every escalation climbs exactly once.
 */
import { describe, expect, it } from 'vitest';
import { newHighRiskProblem, nextDate, waitFor } from '../helpers/escalation.js';
import { briefingBody } from '../helpers/fixtures.js';
import {
  escalationsOfOrganisation,
  expectEachClimbedOnce,
  missingStepJobs,
  outboxCount,
  waitUntilSettled,
} from './chain-checks.js';
import { postEscalatingBriefing, spawnApiService, useFaultSetup } from './service-harness.js';

const BRIEFINGS = 30;
const ACK_SECONDS = 2;

// Redis is down at first (nothing listens on its port), and only the service processes may
// relay: this process's relay would hide a loss.
const setup = useFaultSetup({ redis: 'stopped', stopRelay: true, ackSeconds: ACK_SECONDS });

describe('the API process killed before relaying its outbox', () => {
  it('loses no escalation timer: a new process relays them all and every escalation climbs exactly once', async () => {
    const { ctx, org, redis, target } = setup;
    const first = await spawnApiService(target, { role: 'api', env: { OUTBOX_RELAY_INTERVAL_MS: '100' } });
    await first.healthy();

    const ward = org.wards[0]!;
    const ids: string[] = [];
    for (let i = 0; i < BRIEFINGS; i++) {
      ids.push(
        ...(await postEscalatingBriefing(
          first.baseUrl,
          ward.deviceToken,
          briefingBody(ward.id, { date: nextDate(), items: [newHighRiskProblem()] }),
        )),
      );
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

    expect(await missingStepJobs(ctx, ids, 1), 'escalations without their timer job').toEqual([]);

    await waitUntilSettled(ctx, ids, 30_000);
    const settledMs = performance.now() - restarted;
    await expectEachClimbedOnce(ctx, org, ids);
    expect(await ctx.queues.get('escalation-steps').getFailedCount()).toBe(0);

    const stopped = await second.handle.kill('SIGTERM', 20_000);
    expect(stopped.code, second.handle.stderr().slice(-2000)).toBe(0);
    console.log(
      `[api-kill] ${BRIEFINGS} briefings committed with Redis down (${held} outbox rows), API process SIGKILLed; ` +
        `a new process relayed all ${held} timer jobs ${relayedMs.toFixed(0)} ms after Redis came up, ` +
        `all ${ids.length} escalations climbed exactly once by ${settledMs.toFixed(0)} ms; lost 0, duplicated 0`,
    );
  }, 90_000);
});
