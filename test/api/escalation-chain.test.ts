import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEscalationStep } from '../../src/escalations/timer.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { eventsOf, notificationsOf, putPolicy, raiseHighRiskItem, sleep, waitFor } from '../helpers/escalation.js';
import { get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({ workers: true }));
});
afterAll(() => ctx?.close());

describe('the escalation chain', () => {
  it('climbs level by level when nobody acknowledges, then reminds the last level a bounded number of times', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 1 },
      repeatEverySeconds: 1,
      maxRepeats: 2,
    });
    const item = await raiseHighRiskItem(ctx, org);
    expect(item.escalation).toMatchObject({ state: 'open', level: 1, assignee: { id: org.middleManager.id } });

    const inbox = await get(ctx.app, '/v1/inbox', org.middleManager.token);
    expect(inbox.body.data.map((e: { id: string }) => e.id)).toContain(item.escalation.id);

    await waitFor(
      async () => (await eventsOf(ctx, item.escalation.id)).filter((e) => e.type === 'reminded').length === 2,
      20_000,
      'two reminders',
    );
    await sleep(2_500); // past where a third reminder would be due
    const events = await eventsOf(ctx, item.escalation.id);
    expect(events.map((e) => e.type)).toEqual(['started', 'climbed', 'reminded', 'reminded']);
    const sent = await notificationsOf(ctx, item.escalation.id);
    expect(sent.map((n) => [n.type, n.recipientStaffId])).toEqual([
      ['assigned', org.middleManager.id],
      ['assigned', org.seniorManager.id],
      ['reminder', org.seniorManager.id],
      ['reminder', org.seniorManager.id],
    ]);

    const seniorInbox = await get(ctx.app, '/v1/inbox', org.seniorManager.token);
    expect(seniorInbox.body.data.find((e: { id: string }) => e.id === item.escalation.id)).toMatchObject({
      level: 2,
      overdue: true,
    });
    // The first manager keeps read access to the history.
    const asFirst = await get(ctx.app, `/v1/escalations/${item.escalation.id}`, org.middleManager.token);
    expect(asFirst.status).toBe(200);
    expect(asFirst.body.history.map((h: { type: string }) => h.type)).toEqual([
      'started',
      'climbed',
      'reminded',
      'reminded',
    ]);
  });

  it('stops climbing once acknowledged, and reminds the manager for a response, a bounded number of times', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 2 },
      repeatEverySeconds: 1,
      maxRepeats: 2,
    });
    const item = await raiseHighRiskItem(ctx, org);
    const id: string = item.escalation.id;
    const ack = await post(ctx.app, `/v1/escalations/${id}/acknowledge`, org.middleManager.token, {});
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    expect(ack.body).toMatchObject({ state: 'acknowledged', level: 1, nextStep: { kind: 'reminder', level: 1 } });
    expect(Date.parse(ack.body.nextStepAt) - Date.parse(ack.body.acknowledgedAt)).toBe(1_000);
    const reminded = await waitFor(async () => {
      const events = await eventsOf(ctx, id);
      return events.filter((e) => e.type === 'reminded').length === 2 ? events : undefined;
    });
    expect(reminded.map((e) => e.type)).toEqual(['started', 'acknowledged', 'reminded', 'reminded']);
    for (const e of reminded.filter((e) => e.type === 'reminded')) {
      expect(e).toMatchObject({ level: 0, assigneeStaffId: org.middleManager.id, details: { awaiting: 'response' } });
    }
    // The bound holds: nothing more, and nobody else was engaged.
    await sleep(1_500);
    expect((await eventsOf(ctx, id)).map((e) => e.type)).toEqual(['started', 'acknowledged', 'reminded', 'reminded']);
    const notices = await notificationsOf(ctx, id);
    expect(notices.map((n) => [n.type, n.recipientStaffId])).toEqual([
      ['assigned', org.middleManager.id],
      ['reminder', org.middleManager.id],
      ['reminder', org.middleManager.id],
    ]);
  });

  it('sends no reminder once the manager has responded', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 2 },
      repeatEverySeconds: 1,
      maxRepeats: 3,
    });
    const item = await raiseHighRiskItem(ctx, org);
    const id: string = item.escalation.id;
    expect((await post(ctx.app, `/v1/escalations/${id}/acknowledge`, org.middleManager.token, {})).status).toBe(200);
    const answered = await post(ctx.app, `/v1/escalations/${id}/position`, org.middleManager.token, {
      stance: 'agree',
      rationale: 'Pumps are past their service date',
    });
    expect(answered.status, answered.raw).toBe(200);
    expect(answered.body).toMatchObject({ nextStepAt: null, nextStep: { kind: 'none' } });
    await sleep(2_500);
    expect((await eventsOf(ctx, id)).map((e) => e.type)).toEqual(['started', 'acknowledged', 'position']);
    expect(await notificationsOf(ctx, id)).toHaveLength(1);
  });

  it('applies a timer step once even when the handler runs twice at the same moment', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 3_600 },
    });
    const item = await raiseHighRiskItem(ctx, org);
    const deps = { db: ctx.database.db };
    const payload = { escalationId: item.escalation.id, step: 1 };
    const due = new Date(item.escalation.dueAt);
    const outcomes = await Promise.all([runEscalationStep(deps, payload, due), runEscalationStep(deps, payload, due)]);
    expect(outcomes.sort()).toEqual(['climbed', 'stale']);
    expect(await runEscalationStep(deps, payload, due)).toBe('stale');
    expect((await eventsOf(ctx, item.escalation.id)).map((e) => e.type)).toEqual(['started', 'climbed']);
    expect(await notificationsOf(ctx, item.escalation.id)).toHaveLength(2);
  });

  it('runs no step before its time: an early run changes nothing and says when the step is due', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 3_600 },
    });
    const item = await raiseHighRiskItem(ctx, org);
    const due = new Date(item.escalation.dueAt);
    const payload = { escalationId: item.escalation.id, step: 1 };
    const early = await runEscalationStep({ db: ctx.database.db }, payload, new Date(due.getTime() - 1));
    expect(early).toEqual({ notDue: true, dueAt: due });
    expect((await eventsOf(ctx, item.escalation.id)).map((e) => e.type)).toEqual(['started']);
    expect(await runEscalationStep({ db: ctx.database.db }, payload, due)).toBe('climbed');
  });

  it('never notifies after an acknowledgement that races the deadline', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 3_600 },
    });
    for (let round = 0; round < 8; round++) {
      const item = await raiseHighRiskItem(ctx, org);
      const id = item.escalation.id;
      const [ack, timer] = await Promise.all([
        post(ctx.app, `/v1/escalations/${id}/acknowledge`, org.middleManager.token, {}),
        runEscalationStep({ db: ctx.database.db }, { escalationId: id, step: 1 }, new Date(item.escalation.dueAt)),
      ]);
      const events = (await eventsOf(ctx, id)).map((e) => e.type);
      const sent = await notificationsOf(ctx, id);
      if (ack.status === 200) {
        // Acknowledged first: the timer found a stale step and did nothing.
        expect(timer).toBe('stale');
        expect(events).toEqual(['started', 'acknowledged']);
        expect(sent).toHaveLength(1);
      } else {
        // The deadline won: the first manager may no longer act, the second was told once.
        expect(timer).toBe('climbed');
        expect(ack.status).toBe(403);
        expect(events).toEqual(['started', 'climbed']);
        expect(sent.map((n) => n.recipientStaffId)).toEqual([org.middleManager.id, org.seniorManager.id]);
      }
    }
  });
});
