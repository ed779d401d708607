import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ESCALATION_ACTIONS,
  ESCALATION_STATES,
  nextState,
  type EscalationAction,
} from '../../src/domain/escalation.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { eq } from 'drizzle-orm';
import { escalations } from '../../src/db/schema.js';
import { jobIds } from '../../src/queue/queues.js';
import { nextDate, putPolicy, raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import { briefingBody, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({
    organisations: 2,
    policy: (org) => ({ levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

const bodies: Record<EscalationAction, () => Record<string, unknown>> = {
  acknowledge: () => ({}),
  position: () => ({ stance: 'agree', rationale: 'Pumps are past their service date' }),
  actions: () => ({ description: 'Order two replacement pumps', dueDate: '2026-12-14' }),
  resolve: () => ({ outcome: 'fixed', note: 'Replacement pumps delivered' }),
  reassign: () => ({ staffId: org.seniorManager.id, reason: 'Needs capital funding' }),
  escalate: () => ({ reason: 'Needs the director' }),
  snooze: () => ({ until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'Waiting for supplier' }),
  comment: () => ({ text: 'Chased the supplier' }),
};

/** A fresh escalation held by the middle manager, driven into `state` through the API. */
async function escalationIn(state: (typeof ESCALATION_STATES)[number]) {
  const item = await raiseHighRiskItem(ctx, org);
  const id: string = item.escalation.id;
  const act = async (action: EscalationAction) => {
    const res = await post(ctx.app, `/v1/escalations/${id}/${action}`, org.middleManager.token, bodies[action]());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };
  if (state !== 'open') await act('acknowledge');
  if (state === 'in_progress') await act('actions');
  if (state === 'resolved') await act('resolve');
  return { id, itemId: item.id as string };
}

describe('manager actions follow the state rules', () => {
  const cases = ESCALATION_STATES.flatMap((state) =>
    ESCALATION_ACTIONS.map((action) => {
      const allowed = nextState(state, action) !== null;
      return { state, action, allowed, outcome: allowed ? 'allowed' : '409' };
    }),
  );
  it.each(cases)('$action on $state: $outcome', async ({ state, action, allowed }) => {
    const { id } = await escalationIn(state);
    const res = await post(ctx.app, `/v1/escalations/${id}/${action}`, org.middleManager.token, bodies[action]());
    if (!allowed) {
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const after = await get(ctx.app, `/v1/escalations/${id}`, org.middleManager.token);
      expect(after.body.state).toBe(state);
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.state).toBe(nextState(state, action));
    expect(res.body.history.at(-1).actor).toMatchObject({ id: org.middleManager.id });
  });
});

describe('the manager works an escalation through to resolution', () => {
  it('records every answer, resolves the item, and the ward sees it all on the item', async () => {
    const item = await raiseHighRiskItem(ctx, org, { needsChange: true });
    const id = item.escalation.id;
    const m = org.middleManager.token;
    expect((await post(ctx.app, `/v1/escalations/${id}/acknowledge`, m, {})).status).toBe(200);
    expect((await post(ctx.app, `/v1/escalations/${id}/position`, m, bodies.position())).status).toBe(200);
    expect((await post(ctx.app, `/v1/escalations/${id}/actions`, m, bodies.actions())).status).toBe(200);
    expect((await post(ctx.app, `/v1/escalations/${id}/comment`, m, bodies.comment())).status).toBe(200);
    const resolved = await post(ctx.app, `/v1/escalations/${id}/resolve`, m, bodies.resolve());
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ state: 'resolved', outcome: 'fixed', item: { status: 'resolved' } });
    expect(resolved.body.history.map((h: { type: string }) => h.type)).toEqual([
      'started',
      'acknowledged',
      'position',
      'action_planned',
      'comment',
      'resolved',
    ]);

    const seenByWard = await get(ctx.app, `/v1/items/${item.id}`, org.wards[0]!.deviceToken);
    expect(seenByWard.body).toMatchObject({
      status: 'resolved',
      resolution: { note: 'Replacement pumps delivered' },
      escalation: {
        id,
        state: 'resolved',
        outcome: 'fixed',
        managerPosition: { stance: 'agree', rationale: 'Pumps are past their service date' },
        plannedActions: [{ description: 'Order two replacement pumps', dueDate: '2026-12-14' }],
      },
    });
    const history = await get(ctx.app, `/v1/escalations/${id}`, org.wards[0]!.deviceToken);
    expect(history.status).toBe(200);
  });

  it('reassigning and escalating open the escalation again at the new manager with a new deadline', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const id = item.escalation.id;
    await post(ctx.app, `/v1/escalations/${id}/acknowledge`, org.middleManager.token, {});
    const escalated = await post(ctx.app, `/v1/escalations/${id}/escalate`, org.middleManager.token, bodies.escalate());
    expect(escalated.body).toMatchObject({ state: 'open', level: 2, assignee: { id: org.seniorManager.id } });
    expect(new Date(escalated.body.dueAt).getTime()).toBeGreaterThan(Date.now());
    // The move is in the history, the new manager is told, and the new deadline has its timer.
    expect(escalated.body.history.at(-1)).toMatchObject({
      type: 'escalated',
      level: 2,
      assignee: { id: org.seniorManager.id },
      actor: { id: org.middleManager.id },
      details: { fromLevel: 1, fromStaffId: org.middleManager.id },
    });
    const told = await get(ctx.app, '/v1/notifications', org.seniorManager.token);
    expect(told.body.data.filter((n: { escalationId: string }) => n.escalationId === id)).toMatchObject([
      { type: 'assigned' },
    ]);
    const [row] = await ctx.database.db
      .select({ step: escalations.step })
      .from(escalations)
      .where(eq(escalations.id, id));
    const timer = await waitFor(
      () => ctx.queues.get('escalation-steps').getJob(jobIds.escalationStep(id, row!.step)),
      15_000,
      'the timer',
    );
    expect(timer.delay).toBeGreaterThan(0);
    // The first manager can still read it but no longer act.
    expect((await get(ctx.app, `/v1/escalations/${id}`, org.middleManager.token)).status).toBe(200);
    expect(
      (await post(ctx.app, `/v1/escalations/${id}/comment`, org.middleManager.token, bodies.comment())).status,
    ).toBe(403);
    // Already at the last level: nowhere higher to go.
    const top = await post(ctx.app, `/v1/escalations/${id}/escalate`, org.seniorManager.token, bodies.escalate());
    expect(top.status).toBe(409);
    const back = await post(ctx.app, `/v1/escalations/${id}/reassign`, org.seniorManager.token, {
      staffId: org.middleManager.id,
      reason: 'Matron owns this',
    });
    expect(back.body).toMatchObject({ state: 'open', level: 2, assignee: { id: org.middleManager.id } });
    const notReassignable = await post(ctx.app, `/v1/escalations/${id}/reassign`, org.middleManager.token, {
      staffId: org.clinician.id,
      reason: 'not a manager',
    });
    expect(notReassignable.status).toBe(400);
  });

  it('refuses patient identifiers in answers', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    await post(ctx.app, `/v1/escalations/${item.escalation.id}/acknowledge`, org.middleManager.token, {});
    const res = await post(ctx.app, `/v1/escalations/${item.escalation.id}/comment`, org.middleManager.token, {
      text: 'Spoke to family of 943 476 5919',
    });
    expect(res.status).toBe(422);
    // The whole number, not any "5919": the answer's random request id may hold that.
    expect(JSON.stringify(res.body)).not.toMatch(/943 ?476 ?5919/);
  });
});

describe('the inbox', () => {
  it('lists what is assigned to me, most urgent first, with filters', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }],
      ackWithinSeconds: { extreme: 600, high: 1_200 },
    });
    const high = await raiseHighRiskItem(ctx, org);
    const extreme = await raiseHighRiskItem(ctx, org, { consequence: 5, likelihood: 4 });
    const res = await get(ctx.app, '/v1/inbox?state=open&limit=200', org.middleManager.token);
    expect(res.status).toBe(200);
    const ids = res.body.data.map((e: { id: string }) => e.id);
    expect(ids.indexOf(extreme.escalation.id)).toBeLessThan(ids.indexOf(high.escalation.id));
    const due = res.body.data.map((e: { dueAt: string }) => e.dueAt);
    expect([...due].sort()).toEqual(due);
    const entry = res.body.data.find((e: { id: string }) => e.id === extreme.escalation.id);
    expect(entry).toMatchObject({
      band: 'extreme',
      level: 1,
      state: 'open',
      ward: { id: org.wards[0]!.id },
      item: { id: extreme.id, riskScore: 20 },
      clinicalPosition: { needsChange: true },
    });
    const onlyExtreme = await get(ctx.app, '/v1/inbox?band=extreme', org.middleManager.token);
    expect(onlyExtreme.body.data.every((e: { band: string }) => e.band === 'extreme')).toBe(true);
    const overdue = await get(ctx.app, '/v1/inbox?overdue=true', org.middleManager.token);
    expect(overdue.body.data).toEqual([]);
    // Someone else's inbox does not contain it.
    const senior = await get(ctx.app, '/v1/inbox', org.seniorManager.token);
    expect(senior.body.data.map((e: { id: string }) => e.id)).not.toContain(extreme.escalation.id);
    const page = await get(ctx.app, '/v1/inbox?limit=1', org.middleManager.token);
    expect(page.body.data).toHaveLength(1);
    const next = await get(ctx.app, `/v1/inbox?limit=1&cursor=${page.body.nextCursor}`, org.middleManager.token);
    expect(next.body.data[0].id).not.toBe(page.body.data[0].id);
  });
});

describe('when escalation starts', () => {
  it('starts automatically only for unresolved problems and risks at or above the minimum band', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }],
      minBandToEscalate: 'high',
    });
    const res = await post(
      ctx.app,
      '/v1/briefings',
      org.wards[0]!.deviceToken,
      briefingBody(org.wards[0]!.id, {
        date: nextDate(),
        items: [
          { kind: 'problem', category: 'staffing', description: 'High and open', consequence: 4, likelihood: 3 },
          { kind: 'risk', category: 'staffing', description: 'Moderate only', consequence: 2, likelihood: 3 },
          {
            kind: 'problem',
            category: 'staffing',
            description: 'High but fixed at the briefing',
            consequence: 4,
            likelihood: 3,
            resolvedAtBriefing: true,
          },
          { kind: 'good_practice', category: 'staffing', description: 'Never escalated' },
        ],
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body.items.map((i: { escalation: unknown }) => i.escalation !== null)).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it('routes a category to its own manager in place of level 1', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      categoryRoutes: { it_information: org.seniorManager.id },
    });
    const item = await raiseHighRiskItem(ctx, org, { category: 'it_information' });
    expect(item.escalation.assignee.id).toBe(org.seniorManager.id);
  });

  it('keeps the chain it started with when the policy changes', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
    });
    const item = await raiseHighRiskItem(ctx, org);
    await putPolicy(ctx, org, org.wards[0]!.id, { levels: [{ staffId: org.seniorManager.id }] });
    const read = await get(ctx.app, `/v1/escalations/${item.escalation.id}`, org.middleManager.token);
    expect(read.body.chain.map((l: { staffId: string }) => l.staffId)).toEqual([
      org.middleManager.id,
      org.seniorManager.id,
    ]);
  });

  it('a ward without a policy reports its candidates as unrouted and refuses manual escalation', async () => {
    const ward = org.wards[1]!;
    const res = await post(
      ctx.app,
      '/v1/briefings',
      ward.deviceToken,
      briefingBody(ward.id, {
        date: nextDate(),
        items: [{ kind: 'problem', category: 'equipment', description: 'Hoist broken', consequence: 4, likelihood: 4 }],
      }),
    );
    expect(res.body.unroutedItemIds).toEqual([res.body.items[0].id]);
    const unrouted = await get(ctx.app, `/v1/wards/${ward.id}/unrouted`, org.adminToken);
    expect(unrouted.body).toMatchObject({ hasPolicy: false, minBandToEscalate: 'moderate' });
    expect(unrouted.body.items.map((i: { id: string }) => i.id)).toContain(res.body.items[0].id);
    const manual = await post(ctx.app, `/v1/items/${res.body.items[0].id}/escalate`, ward.deviceToken, {
      reason: 'Urgent',
    });
    expect(manual.status).toBe(409);
    expect(manual.body.detail).toMatch(/no escalation policy/);
  });

  it('ward staff escalate an open item by hand, once', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }],
      minBandToEscalate: 'extreme',
    });
    const item = await raiseHighRiskItem(ctx, org);
    expect(item.escalation).toBeNull();
    const first = await post(ctx.app, `/v1/items/${item.id}/escalate`, org.clinician.token, {
      reason: 'Third time this week',
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ trigger: 'manual', reason: 'Third time this week', state: 'open' });
    const second = await post(ctx.app, `/v1/items/${item.id}/escalate`, org.clinician.token, { reason: 'Again' });
    expect(second.status).toBe(409);
    // Resolving the item at the ward ends its escalation.
    const fixed = await post(ctx.app, `/v1/items/${item.id}/resolve`, org.clinician.token, {
      note: 'Fixed by estates',
    });
    expect(fixed.status).toBe(200);
    expect(fixed.body.escalation).toMatchObject({ state: 'resolved', outcome: 'fixed' });
  });
});

describe('who may see and act', () => {
  it('answers 404 outside the caller reach, 403 to readers who are not the assignee', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, { levels: [{ staffId: org.middleManager.id }] });
    const item = await raiseHighRiskItem(ctx, org);
    const id = item.escalation.id;
    for (const token of [
      other.adminToken,
      other.middleManager.token,
      other.governance.token,
      org.wards[1]!.deviceToken,
    ]) {
      expect((await get(ctx.app, `/v1/escalations/${id}`, token)).status).toBe(404);
    }
    expect((await post(ctx.app, `/v1/escalations/${id}/acknowledge`, other.middleManager.token, {})).status).toBe(404);
    for (const token of [org.adminToken, org.governance.token, org.clinician.token, org.wards[0]!.deviceToken]) {
      expect((await get(ctx.app, `/v1/escalations/${id}`, token)).status).toBe(200);
    }
    // A senior manager can read it, but only the assignee may act.
    expect((await post(ctx.app, `/v1/escalations/${id}/acknowledge`, org.seniorManager.token, {})).status).toBe(403);
    // Ward staff may not call manager actions at all.
    expect((await post(ctx.app, `/v1/escalations/${id}/acknowledge`, org.clinician.token, {})).status).toBe(403);
    expect((await get(ctx.app, '/v1/inbox', org.clinician.token)).status).toBe(403);
    // Policies: only an org admin sets them, and only for its own wards.
    const policy = { levels: [{ staffId: org.middleManager.id }] };
    const asManager = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/wards/${org.wards[0]!.id}/escalation-policy`,
      headers: { authorization: `Bearer ${org.middleManager.token}` },
      payload: policy,
    });
    expect(asManager.statusCode).toBe(403);
    const otherOrg = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/wards/${org.wards[0]!.id}/escalation-policy`,
      headers: { authorization: `Bearer ${other.adminToken}` },
      payload: { levels: [{ staffId: other.middleManager.id }] },
    });
    expect(otherOrg.statusCode).toBe(404);
    const notAManager = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/wards/${org.wards[0]!.id}/escalation-policy`,
      headers: { authorization: `Bearer ${org.adminToken}` },
      payload: { levels: [{ staffId: org.clinician.id }, { staffId: other.middleManager.id }] },
    });
    expect(notAManager.statusCode).toBe(400);
    expect(notAManager.json().errors.map((e: { path: string }) => e.path)).toEqual([
      'body.levels.0.staffId',
      'body.levels.1.staffId',
    ]);
  });
});
