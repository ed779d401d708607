/** Deactivated managers and escalation chains: policies naming them, new chains without them, running chains past them. */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalations } from '../../src/db/schema.js';
import { runEscalationStep } from '../../src/escalations/timer.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { eventsOf, putPolicy } from '../helpers/escalation.js';
import { call, expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';
import { people } from '../helpers/people.js';

let ctx: TestContext;
let org: Organisation;
type People = ReturnType<typeof people>;
let person: People['person'];
let ward: People['ward'];
let raise: People['raise'];
let deactivate: People['deactivate'];

beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
  ({ person, ward, raise, deactivate } = people(ctx, org));
});
afterAll(() => ctx?.close());

describe('policies that name a deactivated manager', () => {
  it('are listed as needing attention, and new escalations skip that manager until the policy is fixed', async () => {
    // Another ward's policy, which needs no attention, so the filter has something to leave out.
    await putPolicy(ctx, org, org.wards[0]!.id, { levels: [{ staffId: org.middleManager.id }] });
    const w = await ward();
    const [leaver, next, estates] = [await person(), await person('senior_manager'), await person()];
    await putPolicy(ctx, org, w.id, {
      levels: [{ staffId: leaver.id }, { staffId: next.id }],
      categoryRoutes: { equipment: leaver.id, estates_environment: estates.id },
    });
    const flagged = async () =>
      (await get(ctx.app, '/v1/escalation-policies?needsAttention=true', org.adminToken)).body.data.map(
        (p: { wardId: string }) => p.wardId,
      );
    expect(await flagged()).not.toContain(w.id);
    expect((await deactivate(leaver.id)).body.policiesNeedingAttention).toEqual([w.id]);

    const policy = await get(ctx.app, `/v1/wards/${w.id}/escalation-policy`, org.adminToken);
    expect(policy.body.needsAttention).toEqual([
      { path: 'levels.0.staffId', staffId: leaver.id, reason: 'deactivated' },
      { path: 'categoryRoutes.equipment', staffId: leaver.id, reason: 'deactivated' },
    ]);
    expect(await flagged()).toContain(w.id);
    const listed = await get(ctx.app, '/v1/escalation-policies?needsAttention=true', org.adminToken);
    for (const p of listed.body.data) expect(p.needsAttention.length).toBeGreaterThan(0);
    const all = await get(ctx.app, '/v1/escalation-policies', org.adminToken);
    expect(all.body.data.length).toBeGreaterThan(listed.body.data.length);

    // A new escalation's chain leaves the leaver out, the category route to them included.
    const equipment = (await raise(w, 'equipment')).escalation;
    expect(equipment).toMatchObject({ level: 1, assignee: { id: next.id } });
    const chain = (await get(ctx.app, `/v1/escalations/${equipment.id}`, org.adminToken)).body.chain;
    expect(chain.map((l: { staffId: string }) => l.staffId)).toEqual([next.id]);
    expect((await raise(w, 'estates_environment')).escalation.assignee.id).toBe(estates.id);

    // Saving the policy with the leaver in it is refused; without them it needs no attention.
    const refused = expectProblem(
      await call(ctx.app, {
        method: 'PUT',
        url: `/v1/wards/${w.id}/escalation-policy`,
        token: org.adminToken,
        payload: { levels: [{ staffId: next.id }], categoryRoutes: { equipment: leaver.id } },
      }),
      422,
    );
    expect(refused.errors).toEqual([
      { path: 'body.categoryRoutes.equipment', message: 'has been deactivated; name an active manager' },
    ]);
    const fixed = await putPolicy(ctx, org, w.id, { levels: [{ staffId: next.id }] });
    expect(fixed.needsAttention).toEqual([]);
    expect(await flagged()).not.toContain(w.id);
  });

  it('a policy whose every manager left routes nothing: its items wait as unrouted', async () => {
    const w = await ward();
    const [a, b] = [await person(), await person()];
    await putPolicy(ctx, org, w.id, { levels: [{ staffId: a.id }, { staffId: b.id }] });
    expect((await deactivate(a.id)).status).toBe(200);
    expect((await deactivate(b.id)).status).toBe(200);
    const item = await raise(w);
    expect(item.escalation).toBeNull();
    const unrouted = await get(ctx.app, `/v1/wards/${w.id}/unrouted`, org.adminToken);
    expect(unrouted.body.hasPolicy).toBe(false);
    expect(unrouted.body.items.map((i: { id: string }) => i.id)).toContain(item.id);
  });
});

describe('running escalations and a deactivated manager', () => {
  it('a climb at the deadline skips a level whose manager was deactivated', async () => {
    const w = await ward();
    const [first, leaver, top] = [await person(), await person(), await person('senior_manager')];
    await putPolicy(ctx, org, w.id, { levels: [{ staffId: first.id }, { staffId: leaver.id }, { staffId: top.id }] });
    const id = (await raise(w)).escalation.id as string;
    expect((await deactivate(leaver.id)).body.handedOver).toEqual([]);
    const [row] = await ctx.database.db.select().from(escalations).where(eq(escalations.id, id));
    const outcome = await runEscalationStep(
      { db: ctx.database.db },
      { escalationId: id, step: row!.step },
      new Date(row!.dueAt.getTime() + 1_000),
    );
    expect(outcome).toBe('climbed');
    const escalation = (await get(ctx.app, `/v1/escalations/${id}`, org.adminToken)).body;
    expect(escalation).toMatchObject({ level: 3, assignee: { id: top.id } });
    const events = await eventsOf(ctx, id);
    expect(events.map((e) => e.assigneeStaffId)).not.toContain(leaver.id);
  });

  it('nobody can reassign to a deactivated manager (422), and escalating by hand skips them', async () => {
    const w = await ward();
    const [first, leaver, top] = [await person(), await person(), await person('senior_manager')];
    await putPolicy(ctx, org, w.id, { levels: [{ staffId: first.id }, { staffId: leaver.id }, { staffId: top.id }] });
    const id = (await raise(w)).escalation.id as string;
    expect((await deactivate(leaver.id)).status).toBe(200);
    const reassign = expectProblem(
      await post(ctx.app, `/v1/escalations/${id}/reassign`, first.token, {
        staffId: leaver.id,
        reason: 'Handing over',
      }),
      422,
    );
    expect(reassign.errors).toEqual([
      { path: 'body.staffId', message: 'has been deactivated; name an active manager' },
    ]);
    const escalate = await post(ctx.app, `/v1/escalations/${id}/escalate`, first.token, {
      reason: 'Needs the director',
    });
    expect(escalate.status, escalate.raw).toBe(200);
    expect(escalate.body).toMatchObject({ level: 3, assignee: { id: top.id } });
  });
});
