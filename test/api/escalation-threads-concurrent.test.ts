/**
 * Briefings recorded at the same moment, each naming a repeat of the same open thread: both are
 * recorded (never a 500, never half of one), and both repeats end up on the thread's one open
 * escalation, its count up by two.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalations, items } from '../../src/db/schema.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { distinctDescription, eventsOf, nextDate, notificationsOf } from '../helpers/escalation.js';
import { briefingBody, call, get, newKey, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }, { staffId: o.seniorManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

/** Records one problem at a briefing of its own; with an Idempotency-Key when `keyed`. */
function record(item: Record<string, unknown>, keyed = false) {
  const ward = org.wards[0]!;
  return call(ctx.app, {
    method: 'POST',
    url: '/v1/briefings',
    token: ward.deviceToken,
    headers: keyed ? { 'idempotency-key': newKey() } : {},
    payload: briefingBody(ward.id, {
      date: nextDate(),
      items: [{ kind: 'problem', category: 'equipment', needsChange: true, ...item }],
    }),
  });
}

/** Two repeats of the thread recorded at once; both must be recorded. Answers their item ids. */
async function twoRepeatsAtOnce(threadId: string, description: string, grades: object, keyed: boolean) {
  const repeats = await Promise.all([
    record({ description, ...grades, recurrenceOf: threadId }, keyed),
    record({ description, ...grades, recurrenceOf: threadId }, keyed),
  ]);
  for (const res of repeats) expect(res.status, res.raw).toBe(201);
  return repeats.map((res) => ({ id: res.body.items[0].id as string, escalation: res.body.items[0].escalation }));
}

/** The thread's one open escalation, raised three times: its events, notices and items agree. */
async function expectOneEscalationRaisedThrice(threadId: string, repeatIds: string[]) {
  const open = await ctx.database.db.select().from(escalations).where(eq(escalations.threadId, threadId));
  expect(open).toHaveLength(1);
  const escalation = open[0]!;
  const shown = await get(ctx.app, `/v1/escalations/${escalation.id}`, org.middleManager.token);
  expect(shown.body).toMatchObject({ state: 'open', raisedCount: 3 });
  for (const id of repeatIds) {
    const item = await get(ctx.app, `/v1/items/${id}`, org.wards[0]!.deviceToken);
    expect(item.body.escalation).toMatchObject({ id: escalation.id });
    expect(item.body.recurrence).toMatchObject({ threadId, timesRaised: 3 });
  }
  return { escalation, events: await eventsOf(ctx, escalation.id), notices: await notificationsOf(ctx, escalation.id) };
}

describe('repeats of one thread recorded at the same moment', () => {
  it('join the open escalation both, the count going up by two (same band, higher band, with and without keys)', async () => {
    for (let round = 0; round < 6; round++) {
      const description = distinctDescription('Bladder scanner out of action');
      const first = await record({ description, consequence: 4, likelihood: 3 });
      expect(first.status, first.raw).toBe(201);
      const thread = first.body.items[0];
      // A higher band every other round: it brings the deadline forward with a new timer.
      const grades = round % 2 === 0 ? { consequence: 4, likelihood: 3 } : { consequence: 5, likelihood: 5 };
      const repeats = await twoRepeatsAtOnce(thread.id, description, grades, round >= 3);
      for (const repeat of repeats) expect(repeat.escalation).toMatchObject({ id: thread.escalation.id });
      const { events, notices } = await expectOneEscalationRaisedThrice(
        thread.id,
        repeats.map((r) => r.id),
      );
      const raised = events.filter((e) => e.type === 'raised_again');
      expect(raised.map((e) => e.details.raisedCount)).toEqual([2, 3]);
      expect(raised.flatMap((e) => e.details.itemIds as string[]).sort()).toEqual(repeats.map((r) => r.id).sort());
      expect(notices.filter((n) => n.type === 'raised_again').map((n) => n.raisedCount)).toEqual([2, 3]);
    }
  });

  it('on a thread with no escalation yet: the first repeat starts one, the other joins it', async () => {
    for (let round = 0; round < 6; round++) {
      const description = distinctDescription('Hoist slings torn');
      // Low risk: below the ward's minimum band, so the thread is open with no escalation.
      const first = await record({ description, consequence: 1, likelihood: 3 });
      expect(first.status, first.raw).toBe(201);
      const thread = first.body.items[0];
      expect(thread.escalation).toBeNull();
      const repeats = await twoRepeatsAtOnce(
        thread.id,
        description,
        { consequence: 4, likelihood: 4 },
        round % 2 === 1,
      );
      const { escalation, events, notices } = await expectOneEscalationRaisedThrice(
        thread.id,
        repeats.map((r) => r.id),
      );
      const [starter, joiner] = escalation.itemId === repeats[0]!.id ? repeats : [repeats[1]!, repeats[0]!];
      expect(escalation.itemId).toBe(starter!.id);
      expect(events.map((e) => [e.type, e.details.raisedCount ?? null])).toEqual([
        ['started', null],
        ['raised_again', 3],
      ]);
      expect(events[1]!.details.itemIds).toEqual([joiner!.id]);
      expect(notices.map((n) => n.type)).toEqual(['assigned', 'raised_again']);
      const recorded = await ctx.database.db.select().from(items).where(eq(items.threadId, thread.id));
      expect(recorded).toHaveLength(2);
    }
  });
});

describe('repeats of one thread in the same briefing', () => {
  it('are one escalation: each item shows it, and it stays open until the last of them is resolved', async () => {
    const ward = org.wards[0]!;
    const description = distinctDescription('Syringe drivers booked out');
    // Low risk: below the ward's minimum band, so the thread is open with no escalation.
    const first = await record({ description, consequence: 1, likelihood: 3 });
    expect(first.status, first.raw).toBe(201);
    const repeat = {
      kind: 'problem',
      category: 'equipment',
      needsChange: true,
      description,
      consequence: 4,
      likelihood: 4,
    };
    const both = await call(ctx.app, {
      method: 'POST',
      url: '/v1/briefings',
      token: ward.deviceToken,
      payload: briefingBody(ward.id, {
        date: nextDate(),
        items: [1, 2].map(() => ({ ...repeat, recurrenceOf: first.body.items[0].id })),
      }),
    });
    expect(both.status, both.raw).toBe(201);
    const [starter, companion] = both.body.items;
    const escalationId: string = starter.escalation.id;
    expect(companion.escalation).toMatchObject({ id: escalationId, state: 'open' });
    const events = await eventsOf(ctx, escalationId);
    expect(events.map((e) => [e.type, e.details.itemIds ?? null])).toEqual([['started', [companion.id]]]);

    // The ward resolves the item the escalation was opened for: the other is still open.
    const resolveAtWard = (itemId: string, note: string) =>
      post(ctx.app, `/v1/items/${itemId}/resolve`, ward.deviceToken, { note });
    const resolvedStarter = await resolveAtWard(starter.id, 'Driver returned from theatre');
    expect(resolvedStarter.status, resolvedStarter.raw).toBe(200);
    expect(resolvedStarter.body.escalation).toMatchObject({ id: escalationId, state: 'open' });
    const shown = await get(ctx.app, `/v1/items/${companion.id}`, ward.deviceToken);
    expect(shown.body).toMatchObject({ status: 'open', escalation: { id: escalationId, state: 'open' } });

    const resolvedLast = await resolveAtWard(companion.id, 'Second driver returned');
    expect(resolvedLast.status, resolvedLast.raw).toBe(200);
    expect(resolvedLast.body.escalation).toMatchObject({ id: escalationId, state: 'resolved', outcome: 'fixed' });
  });
});
