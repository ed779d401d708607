/** Follow-through: senior managers take over escalations, and overdue planned actions remind their assignee. */
import { pino } from 'pino';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationActions, notifications } from '../../src/db/schema.js';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import { remindOverdueActions } from '../../src/escalations/action-reminders.js';
import { startReconciler } from '../../src/jobs.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { eventsOf, notificationsOf, raiseHighRiskItem } from '../helpers/escalation.js';
import { call, expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

const today = () => localDateOf(new Date());

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({
    organisations: 2,
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

const act = async (id: string, action: string, body: Record<string, unknown>, token = org.middleManager.token) => {
  const res = await post(ctx.app, `/v1/escalations/${id}/${action}`, token, body);
  expect(res.status, `${action}: ${res.raw}`).toBe(200);
  return res.body;
};

describe('a senior manager takes over an escalation', () => {
  it('becomes its assignee, taken on at once; an event records it and the former assignee is told', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const id: string = item.escalation.id;
    const res = await post(ctx.app, `/v1/escalations/${id}/take-over`, org.seniorManager.token, {
      reason: 'The matron is away this week',
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({
      state: 'acknowledged',
      assignee: { id: org.seniorManager.id },
      acknowledgedAt: expect.any(String),
      nextStep: { kind: 'none' },
    });
    const event = res.body.history.at(-1);
    expect(event).toMatchObject({
      type: 'taken_over',
      actor: { id: org.seniorManager.id },
      assignee: { id: org.seniorManager.id },
      details: { fromStaffId: org.middleManager.id, reason: 'The matron is away this week' },
    });
    expect((await eventsOf(ctx, id)).map((e) => e.type)).toEqual(['started', 'taken_over']);
    const told = await get(ctx.app, '/v1/notifications', org.middleManager.token);
    expect(
      told.body.data.find(
        (n: { type: string; escalationId: string }) => n.escalationId === id && n.type === 'taken_over',
      ),
    ).toBeDefined();
    // It leaves the former assignee's inbox and is in the senior manager's, who may now act.
    expect(
      (await get(ctx.app, '/v1/inbox', org.middleManager.token)).body.data.map((e: { id: string }) => e.id),
    ).not.toContain(id);
    expect(
      (await get(ctx.app, '/v1/inbox', org.seniorManager.token)).body.data.map((e: { id: string }) => e.id),
    ).toContain(id);
    await act(id, 'resolve', { outcome: 'fixed', note: 'Pumps replaced' }, org.seniorManager.token);
    // The former assignee still reads it, but no longer acts on it.
    expect((await get(ctx.app, `/v1/escalations/${id}`, org.middleManager.token)).status).toBe(200);
    expectProblem(await post(ctx.app, `/v1/escalations/${id}/comment`, org.middleManager.token, { text: 'x' }), 403);
  });

  it('is refused to a middle manager (403), for a resolved or already held escalation (409), and across organisations (404)', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const id: string = item.escalation.id;
    const body = { reason: 'Taking it on' };
    const middle = await post(ctx.app, `/v1/escalations/${id}/take-over`, org.middleManager.token, body);
    expect(expectProblem(middle, 403).detail).toMatch(/role/);
    expectProblem(await post(ctx.app, `/v1/escalations/${id}/take-over`, other.seniorManager.token, body), 404);
    const device = await call(ctx.app, {
      method: 'POST',
      url: `/v1/escalations/${id}/take-over`,
      token: org.wards[0]!.deviceToken,
      payload: body,
    });
    expectProblem(device, 403);
    expect(await notificationsOf(ctx, id)).toHaveLength(1);
    expect((await get(ctx.app, `/v1/escalations/${id}`, org.adminToken)).body.assignee.id).toBe(org.middleManager.id);

    await post(ctx.app, `/v1/escalations/${id}/take-over`, org.seniorManager.token, body);
    expect(
      expectProblem(await post(ctx.app, `/v1/escalations/${id}/take-over`, org.seniorManager.token, body), 409).detail,
    ).toMatch(/already assigned to you/);
    await act(id, 'resolve', { outcome: 'fixed', note: 'Done' }, org.seniorManager.token);
    const second = await raiseHighRiskItem(ctx, org);
    await act(second.escalation.id, 'acknowledge', {});
    await act(second.escalation.id, 'resolve', { outcome: 'mitigated', note: 'Spare pumps borrowed' });
    expectProblem(
      await post(ctx.app, `/v1/escalations/${second.escalation.id}/take-over`, org.seniorManager.token, body),
      409,
    );
  });
});

describe('a planned action whose due date passes', () => {
  async function inProgressWithAction(dueDate: string) {
    const item = await raiseHighRiskItem(ctx, org);
    const id: string = item.escalation.id;
    await act(id, 'acknowledge', {});
    await act(id, 'actions', { description: `Order new pumps by ${dueDate}`, dueDate });
    const [action] = await ctx.database.db
      .select()
      .from(escalationActions)
      .where(eq(escalationActions.escalationId, id));
    return { id, itemId: item.id as string, actionId: action!.id };
  }

  const overdueNotices = async (actionId: string) =>
    ctx.database.db.select().from(notifications).where(eq(notifications.actionId, actionId));

  it('reminds its assignee once, however often and in however many processes the pass runs', async () => {
    const late = await inProgressWithAction(addDays(today(), -1));
    const dueToday = await inProgressWithAction(today());
    const settled = await inProgressWithAction(addDays(today(), -2));
    await act(settled.id, 'resolve', { outcome: 'fixed', note: 'Done early' });

    await Promise.all([remindOverdueActions(ctx.database.db), remindOverdueActions(ctx.database.db)]);
    await remindOverdueActions(ctx.database.db);
    const notices = await overdueNotices(late.actionId);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      type: 'action_overdue',
      recipientStaffId: org.middleManager.id,
      escalationId: late.id,
    });
    expect(await overdueNotices(dueToday.actionId)).toEqual([]);
    expect(await overdueNotices(settled.actionId)).toEqual([]);
    const listed = await get(ctx.app, '/v1/notifications', org.middleManager.token);
    expect(listed.body.data.filter((n: { actionId: string | null }) => n.actionId === late.actionId)).toEqual([
      expect.objectContaining({ type: 'action_overdue', escalationId: late.id, readAt: null }),
    ]);
    const [stored] = await ctx.database.db
      .select()
      .from(escalationActions)
      .where(eq(escalationActions.id, late.actionId));
    expect(stored!.remindedAt).toBeInstanceOf(Date);

    // Tomorrow the action due today is overdue too; the first is not reminded again.
    const tomorrow = new Date(Date.now() + 86_400_000);
    expect(await remindOverdueActions(ctx.database.db, tomorrow)).toBe(1);
    expect(await overdueNotices(dueToday.actionId)).toHaveLength(1);
    expect(await overdueNotices(late.actionId)).toHaveLength(1);
  });

  it("is reminded by the workers' periodic pass, to whoever holds the escalation now", async () => {
    const late = await inProgressWithAction(addDays(today(), -3));
    await post(ctx.app, `/v1/escalations/${late.id}/take-over`, org.seniorManager.token, { reason: 'Covering' });
    const reconciler = startReconciler(ctx.database.db, ctx.queues, pino({ level: 'silent' }), 3_600);
    try {
      await reconciler.runNow();
    } finally {
      await reconciler.stop();
    }
    const notices = await overdueNotices(late.actionId);
    expect(notices.map((n) => n.recipientStaffId)).toEqual([org.seniorManager.id]);
  });

  it("is marked overdue in the ward's briefing pack while the escalation is open", async () => {
    const late = await inProgressWithAction(addDays(today(), -4));
    const ward = org.wards[0]!;
    const pack = await get(ctx.app, `/v1/wards/${ward.id}/briefing-pack?date=${today()}`, ward.deviceToken);
    expect(pack.status, pack.raw).toBe(200);
    const overdue = pack.body.overdueActions.find((a: { id: string }) => a.id === late.actionId);
    expect(overdue).toEqual({
      id: late.actionId,
      escalationId: late.id,
      itemId: late.itemId,
      description: `Order new pumps by ${addDays(today(), -4)}`,
      dueDate: addDays(today(), -4),
      assignee: expect.stringMatching(/^middle_manager /),
    });
    expect(pack.body.counts.overdueActions).toBe(pack.body.overdueActions.length);
    expect(pack.body.overdueActions.every((a: { dueDate: string }) => a.dueDate < today())).toBe(true);
    const html = await call(ctx.app, {
      method: 'GET',
      url: `/v1/wards/${ward.id}/briefing-pack?date=${today()}&format=html`,
      token: ward.deviceToken,
    });
    expect(html.raw).toContain('<h2>Overdue actions</h2>');
    expect(html.raw).toContain(`action <strong>overdue</strong>, due ${addDays(today(), -4)}`);

    await act(late.id, 'resolve', { outcome: 'fixed', note: 'Pumps arrived' });
    const after = await get(ctx.app, `/v1/wards/${ward.id}/briefing-pack?date=${today()}`, ward.deviceToken);
    expect(after.body.overdueActions.map((a: { id: string }) => a.id)).not.toContain(late.actionId);
  });
});
