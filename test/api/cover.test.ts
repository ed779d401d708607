/** Cover: a deputy named for a manager's days away sees and acts on the manager's escalations. */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, escalationEvents, staffCover } from '../../src/db/schema.js';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { raiseHighRiskItem } from '../helpers/escalation.js';
import { call, del, expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;
/** A middle manager of the second ward: no reader of the first ward's escalations on their own. */
let deputy: { id: string; token: string; name: string };

const today = () => localDateOf(new Date());

async function staffMember(o: Organisation, name: string, role: string, wardIds: string[]) {
  const member = await post(ctx.app, '/v1/staff', o.adminToken, {
    name,
    email: `${name.toLowerCase().replace(/ /g, '.')}.${o.code.toLowerCase()}@example.nhs.uk`,
    role,
    wardIds,
  });
  expect(member.status, member.raw).toBe(201);
  const token = await post(ctx.app, '/v1/tokens', o.adminToken, { staffId: member.body.id });
  expect(token.status, token.raw).toBe(201);
  return { id: member.body.id as string, token: token.body.token as string, name };
}

const nameCover = (token: string, managerId: string, body: Record<string, unknown>) =>
  post(ctx.app, `/v1/staff/${managerId}/cover`, token, body);

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({
    organisations: 2,
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }, { staffId: o.seniorManager.id }] }),
  }));
  deputy = await staffMember(org, 'Dana Deputy', 'middle_manager', [org.wards[1]!.id]);
});
afterAll(() => ctx?.close());

describe('a deputy covering a manager', () => {
  it("sees the manager's escalations in their inbox marked as cover, acts on them, and the history says on whose behalf", async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const id: string = item.escalation.id;
    expect((await get(ctx.app, '/v1/inbox', deputy.token)).body.data).toEqual([]);
    expectProblem(await post(ctx.app, `/v1/escalations/${id}/acknowledge`, deputy.token, {}), 404);

    const cover = await nameCover(org.middleManager.token, org.middleManager.id, {
      deputyStaffId: deputy.id,
      from: today(),
      to: addDays(today(), 7),
    });
    expect(cover.status, cover.raw).toBe(201);
    expect(cover.body).toMatchObject({
      manager: { id: org.middleManager.id },
      deputy: { id: deputy.id, name: 'Dana Deputy' },
      from: today(),
      to: addDays(today(), 7),
      inForce: true,
      cancelledAt: null,
    });

    const inbox = await get(ctx.app, '/v1/inbox', deputy.token);
    expect(inbox.status, inbox.raw).toBe(200);
    const entry = inbox.body.data.find((e: { id: string }) => e.id === id);
    expect(entry.cover).toEqual({ forStaffId: org.middleManager.id, name: expect.stringMatching(/^middle_manager /) });
    // The manager still sees their own escalation, not marked as cover.
    const own = await get(ctx.app, '/v1/inbox', org.middleManager.token);
    expect(own.body.data.find((e: { id: string }) => e.id === id).cover).toBeNull();

    for (const [action, body] of [
      ['acknowledge', {}],
      ['position', { stance: 'agree', rationale: 'The pumps need replacing' }],
      ['actions', { description: 'Order two pumps', dueDate: addDays(today(), 3) }],
    ] as const) {
      const res = await post(ctx.app, `/v1/escalations/${id}/${action}`, deputy.token, body);
      expect(res.status, `${action}: ${res.raw}`).toBe(200);
    }
    const escalation = await get(ctx.app, `/v1/escalations/${id}`, deputy.token);
    expect(escalation.body).toMatchObject({ state: 'in_progress', assignee: { id: org.middleManager.id } });
    const byDeputy = escalation.body.history.filter((h: { type: string }) => h.type !== 'started');
    expect(byDeputy.map((h: { type: string }) => h.type)).toEqual(['acknowledged', 'position', 'action_planned']);
    for (const event of byDeputy) {
      expect(event.actor).toEqual({ id: deputy.id, name: 'Dana Deputy' });
      expect(event.onBehalfOf).toEqual({ id: org.middleManager.id, name: expect.stringMatching(/^middle_manager /) });
      expect(event.details.onBehalfOf).toBe(org.middleManager.id);
    }
    const stored = await ctx.database.db
      .select()
      .from(escalationEvents)
      .where(and(eq(escalationEvents.escalationId, id), eq(escalationEvents.actorStaffId, deputy.id)));
    expect(stored).toHaveLength(3);
    const audit = await ctx.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, id), eq(auditEvents.action, 'acknowledge')));
    expect(audit[0]!.changes).toMatchObject({ onBehalfOf: org.middleManager.id });

    // The manager acting themself is not on anyone's behalf.
    const comment = await post(ctx.app, `/v1/escalations/${id}/comment`, org.middleManager.token, { text: 'Thanks' });
    expect(comment.body.history.at(-1).onBehalfOf).toBeNull();

    const listed = await get(ctx.app, `/v1/staff/${deputy.id}/cover`, deputy.token);
    expect(listed.body.data.map((c: { id: string }) => c.id)).toEqual([cover.body.id]);
    const ended = await del(ctx.app, `/v1/staff/${org.middleManager.id}/cover/${cover.body.id}`, org.adminToken);
    expect(ended.status, ended.raw).toBe(200);
    expect(ended.body).toMatchObject({ inForce: false, cancelledAt: expect.any(String) });
    expectProblem(await del(ctx.app, `/v1/staff/${org.middleManager.id}/cover/${cover.body.id}`, org.adminToken), 409);

    // Cover ended: the escalation leaves the deputy's inbox and the deputy can no longer act.
    expect((await get(ctx.app, '/v1/inbox', deputy.token)).body.data.map((e: { id: string }) => e.id)).not.toContain(
      id,
    );
    expectProblem(await post(ctx.app, `/v1/escalations/${id}/comment`, deputy.token, { text: 'Still here' }), 404);
  });

  it('may not act outside the cover dates: 404 to a deputy who cannot otherwise read it, 403 to one who can', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const id: string = item.escalation.id;
    const future = await nameCover(org.middleManager.token, org.middleManager.id, {
      deputyStaffId: deputy.id,
      from: addDays(today(), 10),
      to: addDays(today(), 12),
    });
    expect(future.status, future.raw).toBe(201);
    expect(future.body.inForce).toBe(false);
    expect((await get(ctx.app, '/v1/inbox', deputy.token)).body.data.map((e: { id: string }) => e.id)).not.toContain(
      id,
    );
    expectProblem(await post(ctx.app, `/v1/escalations/${id}/acknowledge`, deputy.token, {}), 404);

    // A cover that ended yesterday (written as it would have been then) gives nothing today.
    const senior = await staffMember(org, 'Sol Senior', 'senior_manager', []);
    await ctx.database.db.insert(staffCover).values({
      organisationId: org.id,
      managerStaffId: org.middleManager.id,
      deputyStaffId: senior.id,
      fromDate: addDays(today(), -5),
      toDate: addDays(today(), -1),
    });
    const refused = await post(ctx.app, `/v1/escalations/${id}/acknowledge`, senior.token, {});
    expectProblem(refused, 403);
    expect(refused.body.detail).toMatch(/deputy while covering/);
    expect((await get(ctx.app, `/v1/escalations/${id}`, org.adminToken)).body.state).toBe('open');
  });
});

describe('naming a deputy', () => {
  const range = (fromDays: number, toDays: number) => ({
    from: addDays(today(), fromDays),
    to: addDays(today(), toDays),
  });

  it('refuses what is not a cover between two managers of the organisation: 422, or 400 for a malformed range', async () => {
    const cases: [string, () => Promise<Awaited<ReturnType<typeof post>>>, number, RegExp][] = [
      [
        'a cover for a non-manager',
        () => nameCover(org.adminToken, org.clinician.id, { deputyStaffId: deputy.id, ...range(0, 1) }),
        422,
        /not a manager/,
      ],
      [
        'a deputy who is not a manager',
        () => nameCover(org.adminToken, org.middleManager.id, { deputyStaffId: org.clinician.id, ...range(30, 31) }),
        422,
        /deputyStaffId/,
      ],
      [
        "another organisation's manager as deputy",
        () =>
          nameCover(org.adminToken, org.middleManager.id, {
            deputyStaffId: other.middleManager.id,
            ...range(30, 31),
          }),
        422,
        /deputyStaffId/,
      ],
      [
        'the manager as their own deputy',
        () =>
          nameCover(org.middleManager.token, org.middleManager.id, {
            deputyStaffId: org.middleManager.id,
            ...range(30, 31),
          }),
        422,
        /another manager/,
      ],
      [
        'a backwards range',
        () => nameCover(org.adminToken, org.middleManager.id, { deputyStaffId: deputy.id, ...range(40, 35) }),
        400,
        /on or after from/,
      ],
      [
        'a range longer than a year',
        () => nameCover(org.adminToken, org.middleManager.id, { deputyStaffId: deputy.id, ...range(40, 500) }),
        400,
        /at most 366 days/,
      ],
      [
        'a range already over',
        () => nameCover(org.adminToken, org.middleManager.id, { deputyStaffId: deputy.id, ...range(-9, -2) }),
        422,
        /already have ended/,
      ],
      [
        'a date that is no date',
        () =>
          nameCover(org.adminToken, org.middleManager.id, {
            deputyStaffId: deputy.id,
            from: '2026-02-30',
            to: '2026-03-02',
          }),
        400,
        /from/,
      ],
    ];
    const before = await ctx.database.db.select().from(staffCover);
    for (const [what, send, status, detail] of cases) {
      const res = await send();
      const problem = expectProblem(res, status);
      expect(`${problem.detail} ${JSON.stringify(problem.errors ?? [])}`, what).toMatch(detail);
    }
    expect(await ctx.database.db.select().from(staffCover)).toHaveLength(before.length);
  });

  it('refuses a deputy who has been deactivated (422), who could not sign in to see the escalations', async () => {
    const gone = await staffMember(org, 'Gone Deputy', 'middle_manager', []);
    const left = await post(ctx.app, `/v1/staff/${gone.id}/deactivate`, org.adminToken, { reason: 'Left the trust' });
    expect(left.status, left.raw).toBe(200);
    const before = await ctx.database.db.select().from(staffCover);
    const refused = expectProblem(
      await nameCover(org.adminToken, org.middleManager.id, { deputyStaffId: gone.id, ...range(30, 31) }),
      422,
    );
    expect(refused.errors).toEqual([
      { path: 'body.deputyStaffId', message: 'has been deactivated; name an active manager' },
    ]);
    expect(await ctx.database.db.select().from(staffCover)).toHaveLength(before.length);
  });

  it('decides overlapping covers: one deputy per manager per day, and nobody covers while away', async () => {
    const manager = await staffMember(org, 'Mo Manager', 'middle_manager', [org.wards[0]!.id]);
    const second = await staffMember(org, 'Sam Second', 'middle_manager', []);
    const first = await nameCover(manager.token, manager.id, { deputyStaffId: deputy.id, ...range(50, 55) });
    expect(first.status, first.raw).toBe(201);
    const overlap = await nameCover(manager.token, manager.id, { deputyStaffId: second.id, ...range(55, 60) });
    expect(expectProblem(overlap, 409)).toMatchObject({ existingCoverId: first.body.id });
    // The day after the first ends is free.
    const next = await nameCover(manager.token, manager.id, { deputyStaffId: second.id, ...range(56, 60) });
    expect(next.status, next.raw).toBe(201);
    // The deputy is away on those days: they cannot be named for anyone then.
    const deputyAway = await nameCover(org.adminToken, org.middleManager.id, {
      deputyStaffId: manager.id,
      ...range(52, 53),
    });
    expect(expectProblem(deputyAway, 409).detail).toMatch(/deputy is away/);
    // A manager covering someone hands that over before going away on those days.
    const covering = await nameCover(deputy.token, deputy.id, { deputyStaffId: second.id, ...range(54, 54) });
    expect(expectProblem(covering, 409).detail).toMatch(/covers someone else/);
    // Withdrawn, the first no longer stands in the way.
    expect((await del(ctx.app, `/v1/staff/${manager.id}/cover/${first.body.id}`, manager.token)).status).toBe(200);
    const again = await nameCover(deputy.token, deputy.id, { deputyStaffId: second.id, ...range(54, 54) });
    expect(again.status, again.raw).toBe(201);
  });

  it('only the manager themself or an org admin changes it; another organisation is told the manager does not exist', async () => {
    const body = { deputyStaffId: deputy.id, ...range(80, 81) };
    // A senior manager reads every staff record but names no deputy for someone else.
    const bySenior = await nameCover(org.seniorManager.token, org.middleManager.id, body);
    expect(expectProblem(bySenior, 403).detail).toMatch(/manager themself or an org admin/);
    const byAdmin = await nameCover(org.adminToken, org.middleManager.id, body);
    expect(byAdmin.status, byAdmin.raw).toBe(201);
    expectProblem(
      await del(ctx.app, `/v1/staff/${org.middleManager.id}/cover/${byAdmin.body.id}`, org.seniorManager.token),
      403,
    );
    for (const token of [other.adminToken, other.seniorManager.token, other.middleManager.token]) {
      expectProblem(
        await nameCover(token, org.middleManager.id, { ...body, deputyStaffId: other.seniorManager.id }),
        404,
      );
      expectProblem(await get(ctx.app, `/v1/staff/${org.middleManager.id}/cover`, token), 404);
      expectProblem(await del(ctx.app, `/v1/staff/${org.middleManager.id}/cover/${byAdmin.body.id}`, token), 404);
    }
    // A ward device may never call it.
    const device = await call(ctx.app, {
      method: 'POST',
      url: `/v1/staff/${org.middleManager.id}/cover`,
      token: org.wards[0]!.deviceToken,
      payload: body,
    });
    expectProblem(device, 403);
    const listed = await get(ctx.app, `/v1/staff/${org.middleManager.id}/cover`, org.adminToken);
    expect(listed.body.data.find((c: { id: string }) => c.id === byAdmin.body.id)).toMatchObject({
      cancelledAt: null,
      from: body.from,
    });
  });
});
