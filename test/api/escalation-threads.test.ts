/**
 * One escalation per issue, however often it comes back: a repeat (named or detected) joins its
 * thread's open escalation, a higher band brings its deadline forward (never later), a repeat
 * after resolution starts a new escalation linked to the earlier ones, and the inbox and the
 * briefing pack show the thread once with how often and since when it has been raised.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, escalations, items } from '../../src/db/schema.js';
import { jobIds } from '../../src/queue/queues.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { eventsOf, nextDate, notificationsOf, waitFor } from '../helpers/escalation.js';
import { briefingBody, get, patch, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({
    organisations: 1,
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }, { staffId: o.seniorManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

let issue = 0;

/** Records one problem at a briefing of its own; answers the recorded item and its date. */
async function raise(item: Record<string, unknown>) {
  const ward = org.wards[0]!;
  const date = nextDate();
  const res = await post(
    ctx.app,
    '/v1/briefings',
    ward.deviceToken,
    briefingBody(ward.id, { date, items: [{ kind: 'problem', category: 'equipment', needsChange: true, ...item }] }),
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { ...res.body.items[0], date };
}

/** The middle manager acknowledges the escalation and resolves it as fixed; asserts both answered 200. */
async function acknowledgeAndFix(escalationId: string, note: string) {
  const m = org.middleManager.token;
  expect((await post(ctx.app, `/v1/escalations/${escalationId}/acknowledge`, m, {})).status).toBe(200);
  const res = await post(ctx.app, `/v1/escalations/${escalationId}/resolve`, m, { outcome: 'fixed', note });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** Descriptions unlike each other, so detection never links two tests' issues. */
const ISSUES = [
  'Bladder scanner out of action with no replacement',
  'Oxygen cylinders missing from the resuscitation trolley',
  'Hoist slings torn and unsafe for transfers',
  'Blood glucose meters not calibrated this week',
  'Suction units failing daily checks in bay four',
  'Pressure relieving mattresses in short supply',
  'Thermometers reading wrongly on the night shift',
  'Drug fridge temperature log alarm keeps sounding',
  'Call bells broken in the side rooms',
  'Weighing chair scales unreliable for fluid balance',
  'Commodes without lids stored in the sluice',
  'Syringe drivers booked out and never returned',
  'Defibrillator pads past their expiry date',
  'Bed rails jammed on the electric profiling beds',
  'Infusion stands missing wheels on the day unit',
  'Portable suction chargers left unplugged overnight',
  'Nurse call pagers dropping messages at handover',
  'Sharps bins overfilled in the treatment room',
  'Patient warming blankets unavailable for theatre returns',
  'Wheelchair footplates missing across the department',
  'Ear thermometer probe covers out of stock',
  'Cardiac monitor leads frayed at the connector',
  'Linen cupboard empty before the morning washes',
  'Bedside lockers with broken hinges in bay two',
  'Feeding pumps alarming without any occlusion',
  'Emergency buzzer silent when tested on Sunday',
  'Stand aid batteries failing halfway through transfers',
  'Walking frames left unchecked since the audit',
  'Oxygen flow meters cracked on the bays by the window',
  'Catheter packs missing from the clean utility',
  'Pulse oximeters losing charge within an hour',
  'Blanket warmer cabinet tripping the electrics',
];

/** A new issue; its repeats in the same test reuse or name it. */
function newIssue(consequence: number, likelihood: number) {
  return { description: ISSUES[issue++]!, consequence, likelihood };
}

async function escalationRow(id: string) {
  const [row] = await ctx.database.db.select().from(escalations).where(eq(escalations.id, id));
  return row!;
}

const threadEscalations = (threadId: string) =>
  ctx.database.db.select().from(escalations).where(eq(escalations.threadId, threadId));

describe('a repeat joins its thread', () => {
  it('joins the open escalation: the count goes up, the assignee is told, no new escalation and no new timer', async () => {
    const first = await raise(newIssue(4, 3)); // high
    const before = await escalationRow(first.escalation.id);
    const named = await raise({ ...newIssue(4, 3), description: first.description, recurrenceOf: first.id });
    expect(named.recurrence).toMatchObject({ threadId: first.id, source: 'named', timesRaised: 2 });
    // Detected by similarity: the same words, not named.
    const detected = await raise({ description: first.description, consequence: 4, likelihood: 3 });
    expect(detected.recurrence).toMatchObject({ threadId: first.id, source: 'detected', timesRaised: 3 });

    expect(await threadEscalations(first.id)).toHaveLength(1);
    const after = await escalationRow(first.escalation.id);
    expect(after).toMatchObject({ state: 'open', step: before.step, dueAt: before.dueAt, band: 'high' });
    expect(after.nextStepAt).toEqual(before.nextStepAt);
    expect(
      await ctx.queues.get('escalation-steps').getJob(jobIds.escalationStep(after.id, after.step + 1)),
    ).toBeFalsy();

    const events = await eventsOf(ctx, after.id);
    expect(events.map((e) => [e.type, e.step, e.details.raisedCount])).toEqual([
      ['started', 1, undefined],
      ['raised_again', null, 2],
      ['raised_again', null, 3],
    ]);
    const notices = (await notificationsOf(ctx, after.id)).filter((n) => n.type === 'raised_again');
    expect(notices.map((n) => [n.recipientStaffId, n.raisedCount])).toEqual([
      [org.middleManager.id, 2],
      [org.middleManager.id, 3],
    ]);
    const inbox = await get(ctx.app, '/v1/notifications', org.middleManager.token);
    const messages = inbox.body.data
      .filter((n: { escalationId: string }) => n.escalationId === after.id)
      .map((n: { type: string; message: string | null }) => [n.type, n.message]);
    expect(messages).toEqual([
      ['raised_again', 'Raised again (3 times)'],
      ['raised_again', 'Raised again (2 times)'],
      ['assigned', null],
    ]);
    // The ward sees the thread's escalation on the repeat.
    const repeat = await get(ctx.app, `/v1/items/${detected.id}`, org.wards[0]!.deviceToken);
    expect(repeat.body.escalation).toMatchObject({ id: after.id, state: 'open' });
  });

  it('a higher band brings the deadline forward from now, with a new timer', async () => {
    const first = await raise(newIssue(4, 3)); // high: 4 h
    const before = await escalationRow(first.escalation.id);
    const started = Date.now();
    await raise({ ...newIssue(5, 5), recurrenceOf: first.id }); // extreme: 1 h
    const after = await escalationRow(first.escalation.id);
    expect(after).toMatchObject({ band: 'extreme', state: 'open', step: before.step + 1 });
    expect(after.dueAt.getTime()).toBeLessThan(before.dueAt.getTime());
    expect(after.dueAt.getTime()).toBeGreaterThanOrEqual(started + 3_600_000 - 1000);
    expect(after.dueAt.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1000);
    expect(after.nextStepAt).toEqual(after.dueAt);
    const job = await waitFor(
      () => ctx.queues.get('escalation-steps').getJob(jobIds.escalationStep(after.id, after.step)),
      10_000,
      'the new timer',
    );
    expect(job.data).toEqual({ escalationId: after.id, step: after.step });
    const events = await eventsOf(ctx, after.id);
    expect(events.at(-1)).toMatchObject({ type: 'raised_again', step: after.step });
    expect(events.at(-1)!.details).toMatchObject({ band: { from: 'high', to: 'extreme' }, raisedCount: 2 });
    expect(await threadEscalations(first.id)).toHaveLength(1);
  });

  it('a lower band does not lengthen the deadline', async () => {
    const first = await raise(newIssue(5, 4)); // extreme: 1 h
    const before = await escalationRow(first.escalation.id);
    await raise({ ...newIssue(4, 3), recurrenceOf: first.id }); // high: 4 h
    const after = await escalationRow(first.escalation.id);
    expect(after).toMatchObject({ band: 'extreme', step: before.step, dueAt: before.dueAt });
    const notices = await notificationsOf(ctx, after.id);
    expect(notices.map((n) => [n.type, n.raisedCount])).toEqual([
      ['assigned', null],
      ['raised_again', 2],
    ]);
  });

  it('a repeat after resolution starts a new escalation linked to the earlier one', async () => {
    const first = await raise(newIssue(4, 3));
    const id = first.escalation.id;
    await acknowledgeAndFix(id, 'Scanner repaired');

    const again = await raise({ ...newIssue(4, 3), recurrenceOf: first.id });
    expect(again.escalation.id).not.toBe(id);
    const res = await get(ctx.app, `/v1/escalations/${again.escalation.id}`, org.middleManager.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      state: 'open',
      threadId: first.id,
      raisedCount: 2,
      firstRaisedOn: first.date,
      mergedInto: null,
      earlierEscalations: [{ id, state: 'resolved', outcome: 'fixed' }],
    });
    expect(await threadEscalations(first.id)).toHaveLength(2);
  });
});

describe('a thread shows once', () => {
  it('in the inbox and in the ward briefing pack, with how often and since when it was raised', async () => {
    const first = await raise(newIssue(4, 3));
    await raise({ ...newIssue(4, 3), recurrenceOf: first.id });
    const last = await raise({ ...newIssue(4, 3), recurrenceOf: first.id });

    const inbox = await get(ctx.app, `/v1/inbox?wardId=${org.wards[0]!.id}&limit=100`, org.middleManager.token);
    expect(inbox.status).toBe(200);
    const entries = inbox.body.data.filter((e: { threadId: string }) => e.threadId === first.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ id: first.escalation.id, raisedCount: 3, firstRaisedOn: first.date });

    const pack = await get(
      ctx.app,
      `/v1/wards/${org.wards[0]!.id}/briefing-pack?date=${last.date}`,
      org.wards[0]!.deviceToken,
    );
    expect(pack.status).toBe(200);
    const shown = pack.body.openItems.filter(
      (i: { recurrence: { threadId: string } }) => i.recurrence.threadId === first.id,
    );
    expect(shown).toHaveLength(1);
    expect(shown[0].recurrence).toMatchObject({ timesRaised: 3, firstRaisedOn: first.date });
    expect(shown[0].escalation).toMatchObject({ id: first.escalation.id });
  });
});

describe('the ward resolving the items of a thread', () => {
  it('keeps the escalation open while any item joined to it is open; the last one resolves it', async () => {
    const first = await raise(newIssue(4, 3));
    const escalationId: string = first.escalation.id;
    const second = await raise({ ...newIssue(4, 3), recurrenceOf: first.id });
    const third = await raise({ ...newIssue(4, 3), recurrenceOf: first.id });
    const device = org.wards[0]!.deviceToken;
    const resolveAtWard = async (itemId: string, note: string) => {
      const res = await post(ctx.app, `/v1/items/${itemId}/resolve`, device, { note });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    const inboxIds = async () => {
      const inbox = await get(ctx.app, `/v1/inbox?wardId=${org.wards[0]!.id}&limit=200`, org.middleManager.token);
      return inbox.body.data.map((e: { id: string }) => e.id);
    };

    // The first item, which the escalation was opened for: the repeats are still open.
    const resolvedFirst = await resolveAtWard(first.id, 'Scanner borrowed from the next ward');
    expect(resolvedFirst).toMatchObject({ status: 'resolved', escalation: { id: escalationId, state: 'open' } });
    expect(await escalationRow(escalationId)).toMatchObject({ state: 'open', outcome: null, resolvedAt: null });
    expect(await inboxIds()).toContain(escalationId);
    const open = await get(ctx.app, `/v1/items/${third.id}`, device);
    expect(open.body).toMatchObject({ status: 'open', escalation: { id: escalationId, state: 'open' } });

    await resolveAtWard(second.id, 'Scanner repaired');
    expect(await escalationRow(escalationId)).toMatchObject({ state: 'open', outcome: null });

    // The last open item joined to it: the escalation ends as the ward resolved it.
    const last = await resolveAtWard(third.id, 'New scanner delivered');
    expect(last.escalation).toMatchObject({ id: escalationId, state: 'resolved', outcome: 'fixed' });
    expect(await escalationRow(escalationId)).toMatchObject({
      state: 'resolved',
      outcome: 'fixed',
      outcomeNote: 'New scanner delivered',
    });
    expect(await inboxIds()).not.toContain(escalationId);
    const events = await eventsOf(ctx, escalationId);
    expect(events.filter((e) => e.type === 'resolved').map((e) => e.details)).toEqual([
      { outcome: 'fixed', by: 'ward', itemId: third.id },
    ]);
    for (const item of [first, second, third]) {
      const shown = await get(ctx.app, `/v1/items/${item.id}`, device);
      expect(shown.body).toMatchObject({ status: 'resolved', escalation: { id: escalationId, state: 'resolved' } });
    }
    const resolvedInbox = await get(ctx.app, `/v1/inbox?state=resolved&limit=200`, org.middleManager.token);
    expect(resolvedInbox.body.data.map((e: { id: string }) => e.id)).toContain(escalationId);
  });
});

describe('a manager resolving the escalation of a thread', () => {
  it('resolves every open item joined to it, at the same time and with the same outcome, each audited', async () => {
    const first = await raise(newIssue(4, 3));
    const escalationId: string = first.escalation.id;
    const second = await raise({ ...newIssue(4, 3), recurrenceOf: first.id });
    const third = await raise({ ...newIssue(4, 3), recurrenceOf: first.id });
    await acknowledgeAndFix(escalationId, 'Pagers replaced across the ward');

    const escalation = await escalationRow(escalationId);
    expect(escalation).toMatchObject({ state: 'resolved', outcome: 'fixed' });
    const ids = [first.id as string, second.id as string, third.id as string];
    const rows = await ctx.database.db.select().from(items).where(inArray(items.id, ids));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'resolved', resolutionNote: 'Pagers replaced across the ward' });
      expect(row.resolvedAt).toEqual(escalation.resolvedAt);
    }
    const audited = await ctx.database.db
      .select()
      .from(auditEvents)
      .where(
        and(eq(auditEvents.entityType, 'item'), inArray(auditEvents.entityId, ids), eq(auditEvents.action, 'resolved')),
      );
    expect(audited.map((a) => a.entityId).sort()).toEqual([...ids].sort());
    for (const entry of audited) {
      expect(entry.changes).toMatchObject({ status: { from: 'open', to: 'resolved' }, outcome: 'fixed', escalationId });
    }
    // The thread leaves the ward's open issues and the senior review queue.
    const queue = await get(ctx.app, '/v1/senior-review?limit=200', org.seniorManager.token);
    expect(queue.status).toBe(200);
    expect(queue.body.data.map((e: { threadId: string }) => e.threadId)).not.toContain(first.id);
  });

  it('leaves an item the ward resolved earlier as the ward resolved it', async () => {
    const first = await raise(newIssue(4, 3));
    const escalationId: string = first.escalation.id;
    const second = await raise({ ...newIssue(4, 3), recurrenceOf: first.id });
    const device = org.wards[0]!.deviceToken;
    expect((await post(ctx.app, `/v1/items/${first.id}/resolve`, device, { note: 'Bin emptied' })).status).toBe(200);
    await acknowledgeAndFix(escalationId, 'Larger bins ordered');
    const [firstRow] = await ctx.database.db.select().from(items).where(eq(items.id, first.id));
    const [secondRow] = await ctx.database.db.select().from(items).where(eq(items.id, second.id));
    expect(firstRow).toMatchObject({ status: 'resolved', resolutionNote: 'Bin emptied' });
    expect(secondRow).toMatchObject({ status: 'resolved', resolutionNote: 'Larger bins ordered' });
  });
});

describe('amending a repeat of a thread with an open escalation', () => {
  const amend = (itemId: string, body: Record<string, unknown>) =>
    patch(ctx.app, `/v1/items/${itemId}`, org.wards[0]!.deviceToken, { reason: 'Graded wrongly', ...body });

  it('joins the open escalation when a repeat below the minimum rises to it, bringing the deadline forward', async () => {
    const first = await raise(newIssue(4, 3)); // high: 4 h
    const escalationId: string = first.escalation.id;
    const repeat = await raise({ ...newIssue(1, 2), description: first.description, recurrenceOf: first.id }); // low
    expect(repeat.escalation).toBeNull();
    const before = await escalationRow(escalationId);
    const res = await amend(repeat.id, { consequence: 5, likelihood: 5 }); // extreme: 1 h
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.correction.escalation).toBe('joined');
    expect(await threadEscalations(first.id)).toHaveLength(1);
    const after = await escalationRow(escalationId);
    expect(after).toMatchObject({ state: 'open', band: 'extreme', step: before.step + 1 });
    expect(after.dueAt.getTime()).toBeLessThan(before.dueAt.getTime());
    const events = await eventsOf(ctx, escalationId);
    expect(events.at(-1)).toMatchObject({ type: 'raised_again' });
    expect(events.at(-1)!.details).toMatchObject({ itemIds: [repeat.id], raisedCount: 2 });
    const shown = await get(ctx.app, `/v1/items/${repeat.id}`, org.wards[0]!.deviceToken);
    expect(shown.body.escalation).toMatchObject({ id: escalationId, state: 'open' });
  });

  it('joins without moving the deadline when the repeat rises to a band no higher than the escalation', async () => {
    const first = await raise(newIssue(5, 4)); // extreme
    const escalationId: string = first.escalation.id;
    const repeat = await raise({ ...newIssue(1, 2), description: first.description, recurrenceOf: first.id });
    const before = await escalationRow(escalationId);
    const res = await amend(repeat.id, { consequence: 4, likelihood: 3 }); // high
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await threadEscalations(first.id)).toHaveLength(1);
    expect(await escalationRow(escalationId)).toMatchObject({
      band: 'extreme',
      step: before.step,
      dueAt: before.dueAt,
    });
  });

  it('brings the deadline of the escalation a joined repeat belongs to forward on a higher band', async () => {
    const first = await raise(newIssue(4, 3)); // high
    const escalationId: string = first.escalation.id;
    const repeat = await raise({ ...newIssue(4, 3), recurrenceOf: first.id });
    const before = await escalationRow(escalationId);
    const res = await amend(repeat.id, { consequence: 5, likelihood: 5 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.correction.escalation).toBe('shorten');
    expect(await threadEscalations(first.id)).toHaveLength(1);
    const after = await escalationRow(escalationId);
    expect(after).toMatchObject({ state: 'open', band: 'extreme', step: before.step + 1 });
    expect(after.dueAt.getTime()).toBeLessThan(before.dueAt.getTime());
    // A joined repeat graded lower again never lengthens the deadline nor closes the thread's escalation.
    const lower = await amend(repeat.id, { consequence: 1, likelihood: 2 });
    expect(lower.status, JSON.stringify(lower.body)).toBe(200);
    expect(await escalationRow(escalationId)).toMatchObject({ state: 'open', band: 'extreme', dueAt: after.dueAt });
  });

  it('keeps the escalation while a joined repeat is open when the item it was opened for falls below the minimum', async () => {
    const first = await raise(newIssue(4, 3)); // high
    const escalationId: string = first.escalation.id;
    await raise({ ...newIssue(4, 3), recurrenceOf: first.id });
    const before = await escalationRow(escalationId);
    const res = await amend(first.id, { consequence: 1, likelihood: 2 }); // low: below the minimum
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.correction.escalation).toBe('none');
    expect(await escalationRow(escalationId)).toMatchObject({
      state: 'open',
      outcome: null,
      band: 'high',
      dueAt: before.dueAt,
    });
  });
});

describe('voiding an item of a thread', () => {
  const voidItem = (itemId: string) =>
    post(ctx.app, `/v1/items/${itemId}/void`, org.wards[0]!.deviceToken, { reason: 'Recorded in error' });

  it('keeps the escalation open while a joined repeat is open; voiding the last open item closes it', async () => {
    const first = await raise(newIssue(4, 3));
    const escalationId: string = first.escalation.id;
    const repeat = await raise({ ...newIssue(4, 3), recurrenceOf: first.id });
    const voided = await voidItem(first.id);
    expect(voided.status, JSON.stringify(voided.body)).toBe(200);
    expect(voided.body.closedEscalationId).toBeNull();
    expect(await escalationRow(escalationId)).toMatchObject({ state: 'open', outcome: null });
    const shown = await get(ctx.app, `/v1/items/${repeat.id}`, org.wards[0]!.deviceToken);
    expect(shown.body.escalation).toMatchObject({ id: escalationId, state: 'open' });
    const inbox = await get(ctx.app, `/v1/inbox?wardId=${org.wards[0]!.id}&limit=200`, org.middleManager.token);
    const carried = inbox.body.data.find((e: { id: string }) => e.id === escalationId);
    expect(carried, 'the escalation, carried by the open repeat').toBeDefined();
    expect(carried.item.id, 'shown with its live repeat, never the voided item').toBe(repeat.id);
    const detail = await get(ctx.app, `/v1/escalations/${escalationId}`, org.middleManager.token);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ state: 'open', raisedCount: 1 });

    const last = await voidItem(repeat.id);
    expect(last.status, JSON.stringify(last.body)).toBe(200);
    expect(last.body.closedEscalationId).toBe(escalationId);
    expect(await escalationRow(escalationId)).toMatchObject({ state: 'resolved', outcome: 'voided' });
    const resolvedInbox = await get(ctx.app, `/v1/inbox?state=resolved&limit=200`, org.middleManager.token);
    expect(resolvedInbox.body.data.map((e: { id: string }) => e.id)).not.toContain(escalationId);
  });
});
