/**
 * A timer step never acts before its time. A job that runs early (promoted by hand, added by
 * hand, a clock skew, a bug) re-reads the escalation's next step time and, when it has not
 * come, waits for the time that is left; at the deadline the escalation climbs once. An
 * organisation sees its escalations' timers through the API (the next step and when it is
 * due), and /ready names a paused queue.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalations } from '../../src/db/schema.js';
import { jobIds } from '../../src/queue/queues.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { eventsOf, notificationsOf, putPolicy, raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import { createOrganisation, get, type Organisation } from '../helpers/fixtures.js';
import { climbOncePolicy } from './chain-checks.js';

/** Long enough to tamper with the timer before it is due, on a busy machine too. */
const ACK_SECONDS = 6;

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ctx = await createTestContext();
  org = await createOrganisation(ctx.app);
  await putPolicy(ctx, org, org.wards[0]!.id, climbOncePolicy(org, ACK_SECONDS));
  await ctx.startWorkers();
});
afterAll(() => ctx?.close());

async function startEscalation() {
  const id: string = (await raiseHighRiskItem(ctx, org)).escalation.id;
  await ctx.relay.drain();
  const [row] = await ctx.database.db.select().from(escalations).where(eq(escalations.id, id));
  return { id, dueAt: row!.nextStepAt! };
}

/** Waits until the job has been taken by a worker and let go again (done, or put back). */
async function ranOnce(jobId: string) {
  const queue = ctx.queues.get('escalation-steps');
  await waitFor(
    async () => {
      const job = await queue.getJob(jobId);
      return Boolean(job?.processedOn) && (await job!.getState()) !== 'active';
    },
    15_000,
    `${jobId} to run`,
  );
  return queue.getJobState(jobId);
}

/** The escalation climbed exactly once, not before its deadline, and told the next manager once. */
async function expectClimbedOnceAtDeadline(id: string, dueAt: Date): Promise<number> {
  const climbed = await waitFor(
    async () => (await eventsOf(ctx, id)).find((e) => e.type === 'climbed'),
    30_000,
    'the climb at the deadline',
  );
  expect(climbed.createdAt.getTime(), 'climbed before its deadline').toBeGreaterThanOrEqual(dueAt.getTime());
  expect(climbed.details).toMatchObject({ missedDueAt: dueAt.toISOString() });
  // Every job for step 1 has run; none applied it a second time.
  const queue = ctx.queues.get('escalation-steps');
  await waitFor(
    async () => (await queue.getJobCounts('active', 'waiting', 'delayed')).active === 0,
    15_000,
    'the queue to settle',
  );
  expect((await eventsOf(ctx, id)).map((e) => e.type)).toEqual(['started', 'climbed']);
  expect((await notificationsOf(ctx, id)).map((n) => n.recipientStaffId)).toEqual([
    org.middleManager.id,
    org.seniorManager.id,
  ]);
  return climbed.createdAt.getTime() - dueAt.getTime();
}

describe('a timer job that runs before its time', () => {
  it('promoted by hand: it puts itself back for the time that is left, and climbs once at the deadline', async () => {
    const { id, dueAt } = await startEscalation();
    const jobId = jobIds.escalationStep(id, 1);
    const job = await ctx.queues.get('escalation-steps').getJob(jobId);
    expect(await job!.getState()).toBe('delayed');

    // The organisation sees its timer through the API: what comes next, and when.
    const next = { kind: 'climb', level: 2, dueAt: dueAt.toISOString() };
    expect((await get(ctx.app, `/v1/escalations/${id}`, org.adminToken)).body.nextStep).toEqual(next);
    const inbox = await get(ctx.app, '/v1/inbox', org.middleManager.token);
    expect(inbox.body.data.find((e: { id: string }) => e.id === id).nextStep).toEqual(next);

    await job!.promote();
    const state = await ranOnce(jobId);
    const early = dueAt.getTime() - Date.now();
    if (early > 0) {
      expect(state).toBe('delayed');
      expect((await eventsOf(ctx, id)).map((e) => e.type)).toEqual(['started']);
      expect((await get(ctx.app, `/v1/escalations/${id}`, org.adminToken)).body).toMatchObject({
        level: 1,
        nextStep: next,
      });
    }
    const late = await expectClimbedOnceAtDeadline(id, dueAt);
    console.log(
      `[early-timers] promoted timer ran ${(early / 1000).toFixed(1)} s before its deadline and went back to ${state}; climbed once, ${late} ms after the deadline`,
    );
    expect(await ctx.queues.get('escalation-steps').getJobState(jobId)).toBe('completed');
    // The last level gets no reminders under this policy: nothing more will happen.
    const after = await get(ctx.app, `/v1/escalations/${id}`, org.adminToken);
    expect(after.body).toMatchObject({ level: 2, nextStep: { kind: 'none', level: null, dueAt: null } });
  });

  it('added by hand under another id: it waits for the deadline too, and the step is applied once', async () => {
    const { id, dueAt } = await startEscalation();
    const queue = ctx.queues.get('escalation-steps');
    await queue.add('escalation-step', { escalationId: id, step: 1 }, { jobId: `by-hand-${id}` });
    const state = await ranOnce(`by-hand-${id}`);
    const early = dueAt.getTime() - Date.now();
    if (early > 0) {
      expect(state).toBe('delayed');
      expect((await eventsOf(ctx, id)).map((e) => e.type)).toEqual(['started']);
    }
    const late = await expectClimbedOnceAtDeadline(id, dueAt);
    console.log(
      `[early-timers] job added by hand ran ${(early / 1000).toFixed(1)} s before the deadline and went back to ${state}; climbed once, ${late} ms after the deadline`,
    );
    expect(await queue.getJobState(`by-hand-${id}`)).toBe('completed');
    expect(await queue.getJobState(jobIds.escalationStep(id, 1))).toBe('completed');
  });
});

describe('/ready', () => {
  it('reports a paused queue: degraded, naming the queue, still 200', async () => {
    const queue = ctx.queues.get('escalation-steps');
    const before = await ctx.app.inject({ method: 'GET', url: '/ready' });
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ status: 'ready', checks: { database: 'up', queue: 'up', pausedQueues: [] } });
    await queue.pause();
    try {
      const paused = await ctx.app.inject({ method: 'GET', url: '/ready' });
      expect(paused.statusCode).toBe(200);
      expect(paused.json()).toMatchObject({
        status: 'degraded',
        checks: { database: 'up', queue: 'up', pausedQueues: ['escalation-steps'] },
      });
    } finally {
      await queue.resume();
    }
    const after = await ctx.app.inject({ method: 'GET', url: '/ready' });
    expect(after.json()).toMatchObject({ status: 'ready', checks: { pausedQueues: [] } });
  });
});
