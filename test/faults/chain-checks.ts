/**
 * What an operator checks after a queue fault: for each escalation, the history and the
 * notifications PostgreSQL holds. Shared by the fault tests (not a test file itself).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { escalationEvents, escalations, notifications, outbox } from '../../src/db/schema.js';
import { jobIds } from '../../src/queue/queues.js';
import type { TestContext } from '../helpers/context.js';
import { waitFor } from '../helpers/escalation.js';
import type { Organisation } from '../helpers/fixtures.js';

/**
 * A two-level chain that climbs once and then stops: level 1 has `ackSeconds` to acknowledge a
 * high-risk item, level 2 gets no reminders (maxRepeats 0), so each escalation ends with
 * exactly the events [started, climbed] and two notifications.
 */
export function climbOncePolicy(org: Organisation, ackSeconds: number) {
  return {
    levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
    ackWithinSeconds: { high: ackSeconds },
    repeatEverySeconds: 3_600,
    maxRepeats: 0,
  };
}

export async function escalationsOfOrganisation(ctx: TestContext, organisationId: string) {
  return ctx.database.db.select().from(escalations).where(eq(escalations.organisationId, organisationId));
}

export async function outboxCount(ctx: TestContext) {
  const [row] = await ctx.database.db.select({ n: sql<number>`count(*)::int` }).from(outbox);
  return row?.n ?? 0;
}

/** Outbox rows still waiting to hand the escalations' timer jobs for `step` to BullMQ. */
export async function outboxRowsForStep(ctx: TestContext, ids: string[], step: number) {
  if (ids.length === 0) return 0;
  const [row] = await ctx.database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(outbox)
    .where(
      inArray(
        outbox.jobId,
        ids.map((id) => jobIds.escalationStep(id, step)),
      ),
    );
  return row?.n ?? 0;
}

/** The escalations whose timer job for `step` is not in BullMQ (in any state). */
export async function missingStepJobs(ctx: TestContext, ids: string[], step: number) {
  const queue = ctx.queues.get('escalation-steps');
  const missing: string[] = [];
  // A few at a time: one round trip each, and there may be a thousand.
  for (let at = 0; at < ids.length; at += 50) {
    const batch = ids.slice(at, at + 50);
    const jobs = await Promise.all(batch.map((id) => queue.getJob(jobIds.escalationStep(id, step))));
    batch.forEach((id, i) => jobs[i] || missing.push(id));
  }
  return missing;
}

export interface ChainRecord {
  events: { type: string; step: number | null; level: number; assigneeStaffId: string }[];
  notifications: { type: string; step: number; recipientStaffId: string }[];
}

/** Events and notifications of each escalation, oldest first, in two queries. */
export async function chainRecords(ctx: TestContext, ids: string[]): Promise<Map<string, ChainRecord>> {
  const db = ctx.database.db;
  const records = new Map<string, ChainRecord>(ids.map((id) => [id, { events: [], notifications: [] }]));
  if (ids.length === 0) return records;
  const events = await db
    .select()
    .from(escalationEvents)
    .where(inArray(escalationEvents.escalationId, ids))
    .orderBy(escalationEvents.id);
  for (const e of events) {
    records
      .get(e.escalationId)!
      .events.push({ type: e.type, step: e.step, level: e.level, assigneeStaffId: e.assigneeStaffId });
  }
  const sent = await db
    .select()
    .from(notifications)
    .where(inArray(notifications.escalationId, ids))
    .orderBy(notifications.step, notifications.createdAt);
  for (const n of sent) {
    records
      .get(n.escalationId)!
      .notifications.push({ type: n.type, step: n.step, recipientStaffId: n.recipientStaffId });
  }
  return records;
}

/**
 * Waits until every escalation has climbed and its last timer has run (nothing pending), so
 * no later step can still change what the checks see.
 */
export async function waitUntilSettled(
  ctx: TestContext,
  ids: string[],
  timeoutMs: number,
  what = 'every escalation to climb and settle',
) {
  const wanted = new Set(ids);
  await waitFor(
    async () => {
      const rows = await ctx.database.db
        .select({ id: escalations.id, level: escalations.level, nextStepAt: escalations.nextStepAt })
        .from(escalations)
        .where(inArray(escalations.id, ids));
      return rows.length === wanted.size && rows.every((r) => r.level === 1 && r.nextStepAt === null);
    },
    timeoutMs,
    what,
  );
}

/** How many escalations have climbed (level 2 reached), for progress checks. */
export async function climbedCount(ctx: TestContext, ids: string[]) {
  const [row] = await ctx.database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(escalationEvents)
    .where(and(inArray(escalationEvents.escalationId, ids), eq(escalationEvents.type, 'climbed')));
  return row?.n ?? 0;
}

/**
 * Each escalation climbed exactly once: history [started, climbed], one notification per
 * (escalation, step) - level 1 assigned at step 1, level 2 assigned at step 2 - and nothing else.
 */
export async function expectEachClimbedOnce(ctx: TestContext, org: Organisation, ids: string[]) {
  const records = await chainRecords(ctx, ids);
  const wrong: string[] = [];
  for (const [id, record] of records) {
    const types = record.events.map((e) => e.type);
    const sent = record.notifications.map((n) => `${n.type}@${n.step}:${n.recipientStaffId}`);
    const expectedSent = [`assigned@1:${org.middleManager.id}`, `assigned@2:${org.seniorManager.id}`];
    if (
      JSON.stringify(types) !== JSON.stringify(['started', 'climbed']) ||
      JSON.stringify(sent) !== JSON.stringify(expectedSent)
    ) {
      wrong.push(`${id}: events ${JSON.stringify(types)} notifications ${JSON.stringify(sent)}`);
    }
  }
  expect(wrong, `escalations that did not climb exactly once:\n${wrong.join('\n')}`).toEqual([]);
  const climbed = [...records.values()].flatMap((r) => r.events.filter((e) => e.type === 'climbed'));
  expect(climbed).toHaveLength(ids.length);
  expect(climbed.every((e) => e.level === 1 && e.assigneeStaffId === org.seniorManager.id)).toBe(true);
  const keys = [...records.entries()].flatMap(([id, r]) => r.notifications.map((n) => `${id}/${n.step}`));
  expect(new Set(keys).size, 'notifications unique per (escalation, step)').toBe(keys.length);
}
