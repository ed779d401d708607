/**
 * Two API processes and two worker processes on one database and one (private) Redis, as
 * deployed with replicas: briefings are posted round-robin to both APIs, so four outbox relays
 * (each API's and each worker's, every 100 ms) compete for the same rows, and two workers (with
 * reconcilers every second) for the same jobs, while deadlines are short. Every escalation
 * climbs exactly once: no duplicate escalation event, step or notification (unique per
 * escalation, step and recipient).
 */
import { sql } from 'drizzle-orm';
import { rows as rowsOf } from '../../src/db/sql.js';
import { describe, expect, it } from 'vitest';
import { distinctDescription, nextDate, sleep } from '../helpers/escalation.js';
import { briefingBody } from '../helpers/fixtures.js';
import { waitForChildren } from '../helpers/processes.js';
import { expectEachClimbedOnce, outboxCount, waitUntilSettled } from './chain-checks.js';
import { postEscalatingBriefing, spawnApiService, useFaultSetup, type RunningService } from './service-harness.js';

const BRIEFINGS = 40;

/** Issue i of briefing n: high risk, and no repeat of another (each opens its own escalation). */
const newIssue = (n: number, i: number) => ({
  kind: 'problem',
  category: i % 2 ? 'staffing' : 'equipment',
  description: distinctDescription(
    `Briefing ${n} issue ${i}: ${['suction', 'monitor', 'pump', 'hoist'][i % 4]} failing`,
  ),
  consequence: 4,
  likelihood: 3,
});
const ITEMS_PER_BRIEFING = 2;
const ACK_SECONDS = 2;
const CONCURRENT_POSTS = 8;

const setup = useFaultSetup({ ackSeconds: ACK_SECONDS, policyOn: 'every-ward' });

describe('two API processes and two worker processes', () => {
  it('climb every escalation exactly once, with no duplicate step or notification', async () => {
    const { ctx, org, target } = setup;
    const env = {
      OUTBOX_RELAY_INTERVAL_MS: '100',
      RECONCILE_INTERVAL_SECONDS: '1',
      WORKER_STALLED_INTERVAL_MS: '1000',
    };
    const t0 = performance.now();
    const [apiA, apiB, workerA, workerB] = await Promise.all([
      spawnApiService(target, { role: 'api', env }),
      spawnApiService(target, { role: 'api', env }),
      spawnApiService(target, { role: 'worker', env }),
      spawnApiService(target, { role: 'worker', env }),
    ]);
    const all = [apiA, apiB, workerA, workerB];
    await Promise.all([apiA.healthy(), apiB.healthy()]);
    await waitForChildren(
      all.map((s) => s.handle),
      setup.workerConnections,
      2,
      30_000,
    );
    const booted = performance.now() - t0;

    // Round-robin over both APIs, several at a time.
    const apis: RunningService[] = [apiA, apiB];
    const ids: string[] = [];
    const perApi = [0, 0];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENT_POSTS }, async () => {
        for (let n = next++; n < BRIEFINGS; n = next++) {
          const ward = org.wards[n % 2]!;
          const api = apis[n % 2]!;
          const body = briefingBody(ward.id, {
            date: nextDate(),
            items: Array.from({ length: ITEMS_PER_BRIEFING }, (_, i) => newIssue(n, i)),
          });
          ids.push(...(await postEscalatingBriefing(api.baseUrl, ward.deviceToken, body)));
          perApi[n % 2]!++;
        }
      }),
    );
    const posted = performance.now() - t0;
    expect(ids).toHaveLength(BRIEFINGS * ITEMS_PER_BRIEFING);

    await waitUntilSettled(ctx, ids, 45_000);
    const settled = performance.now() - t0;
    await sleep(1_500); // one more reconciler pass in each worker after every chain ended
    await expectEachClimbedOnce(ctx, org, ids);

    // Straight from the tables: no (escalation, step) or (escalation, step, recipient) twice.
    const rows = async (query: ReturnType<typeof sql>) =>
      (await rowsOf<{ n: number }>(ctx.database.db, query))[0]?.n ?? -1;
    const duplicateEvents = await rows(sql`
      select count(*)::int as n from (select escalation_id, step from escalation_events
      where step is not null group by 1, 2 having count(*) > 1) d`);
    const duplicateNotifications = await rows(sql`
      select count(*)::int as n from (select escalation_id, step, recipient_staff_id from notifications
      group by 1, 2, 3 having count(*) > 1) d`);
    const notificationsSent = await rows(sql`select count(*)::int as n from notifications`);
    expect(duplicateEvents).toBe(0);
    expect(duplicateNotifications).toBe(0);
    expect(notificationsSent).toBe(ids.length * 2);
    expect(await outboxCount(ctx)).toBe(0);
    expect(await ctx.queues.get('escalation-steps').getFailedCount()).toBe(0);
    expect(
      all.every((s) => s.handle.isRunning()),
      'all four processes still running',
    ).toBe(true);

    const exits = await Promise.all(all.map((s) => s.handle.kill('SIGTERM', 20_000)));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0, 0]);
    console.log(
      `[two-apis] 2 API + 2 worker processes up in ${booted.toFixed(0)} ms; ${BRIEFINGS} briefings round-robin ` +
        `(${perApi.join(' + ')}), ${ids.length} escalations, posted by ${posted.toFixed(0)} ms, all climbed once and settled by ` +
        `${settled.toFixed(0)} ms; ${notificationsSent} notifications; duplicate steps ${duplicateEvents}, duplicate notifications ` +
        `${duplicateNotifications}; all 4 exited 0 on SIGTERM`,
    );
  }, 120_000);
});
