import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import { positionChanges } from '../../src/db/schema.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { nextDate, raiseHighRiskItem } from '../helpers/escalation.js';
import {
  briefingBody,
  expectProblem,
  get,
  patch,
  post,
  type Organisation,
  type UntypedJson,
} from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({
    organisations: 2,
    policy: (org) => ({ levels: [{ staffId: org.middleManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

async function managerSays(escalationId: string, stance: string) {
  const res = await post(ctx.app, `/v1/escalations/${escalationId}/position`, org.middleManager.token, {
    stance,
    rationale: `Manager says ${stance}`,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function teamSays(itemId: string, needsChange: boolean, token = org.clinician.token) {
  const res = await post(ctx.app, `/v1/items/${itemId}/clinical-position`, token, {
    needsChange,
    rationale: 'Team view',
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const itemView = async (id: string) => (await get(ctx.app, `/v1/items/${id}`, org.wards[0]!.deviceToken)).body;

describe('alignment between the team and the manager', () => {
  it('moves through every state, keeps each change, and records when agreement was first reached', async () => {
    const item = await raiseHighRiskItem(ctx, org, { needsChange: true, description: `Alignment walk ${nextDate()}` });
    expect(item.alignment).toEqual({ state: 'pending', agreementReachedAt: null, priorityAligned: false });
    expect(item.clinicalPosition).toMatchObject({ needsChange: true });
    const escalationId = item.escalation.id;
    await post(ctx.app, `/v1/escalations/${escalationId}/acknowledge`, org.middleManager.token, {});

    await managerSays(escalationId, 'needs_information');
    expect((await itemView(item.id)).alignment.state).toBe('pending');

    await managerSays(escalationId, 'agree');
    const agreed = await itemView(item.id);
    expect(agreed.alignment.state).toBe('aligned_for_change');
    expect(agreed.managerialPosition).toBe('agree');
    const firstAgreement = agreed.alignment.agreementReachedAt;
    expect(firstAgreement).not.toBeNull();

    await managerSays(escalationId, 'disagree');
    expect((await itemView(item.id)).alignment).toMatchObject({
      state: 'clinical_only',
      agreementReachedAt: firstAgreement,
    });

    const noChange = await teamSays(item.id, false);
    expect(noChange.alignment).toMatchObject({ state: 'aligned_no_change', agreementReachedAt: firstAgreement });

    await managerSays(escalationId, 'agree');
    expect((await itemView(item.id)).alignment.state).toBe('managerial_only');

    const history = await ctx.database.db
      .select()
      .from(positionChanges)
      .where(eq(positionChanges.itemId, item.id))
      .orderBy(asc(positionChanges.id));
    expect(history.map((h) => [h.side, h.needsChange ?? h.stance, h.alignmentAfter])).toEqual([
      ['clinical', true, 'pending'],
      ['managerial', 'needs_information', 'pending'],
      ['managerial', 'agree', 'aligned_for_change'],
      ['managerial', 'disagree', 'clinical_only'],
      ['clinical', false, 'aligned_no_change'],
      ['managerial', 'agree', 'managerial_only'],
    ]);
    expect(history[1]!.actorStaffId).toBe(org.middleManager.id);
    expect(history[4]!.actorStaffId).toBe(org.clinician.id);
    for (let i = 1; i < history.length; i++) {
      expect(history[i]!.createdAt.getTime()).toBeGreaterThanOrEqual(history[i - 1]!.createdAt.getTime());
    }
  });

  it('an item the team has not answered stays pending whatever the manager says', async () => {
    const item = await raiseHighRiskItem(ctx, org, {
      needsChange: undefined,
      description: `No team view ${nextDate()}`,
    });
    expect(item.clinicalPosition).toBeNull();
    await post(ctx.app, `/v1/escalations/${item.escalation.id}/acknowledge`, org.middleManager.token, {});
    await managerSays(item.escalation.id, 'agree');
    expect((await itemView(item.id)).alignment.state).toBe('pending');
  });

  it('only the ward staff of that ward record the clinical position', async () => {
    const item = await raiseHighRiskItem(ctx, org, { description: `Who may answer ${nextDate()}` });
    const body = { needsChange: true };
    expect(
      (await post(ctx.app, `/v1/items/${item.id}/clinical-position`, org.wards[0]!.deviceToken, body)).status,
    ).toBe(200);
    expect(
      (await post(ctx.app, `/v1/items/${item.id}/clinical-position`, org.wards[1]!.deviceToken, body)).status,
    ).toBe(404);
    expect((await post(ctx.app, `/v1/items/${item.id}/clinical-position`, other.clinician.token, body)).status).toBe(
      404,
    );
    expect((await post(ctx.app, `/v1/items/${item.id}/clinical-position`, org.middleManager.token, body)).status).toBe(
      403,
    );
  });
});

describe('organisational priorities', () => {
  it('are kept in a register, linked to items, and make items priority-aligned while active', async () => {
    const create = (token: string, body: Record<string, unknown>) => post(ctx.app, '/v1/priorities', token, body);
    const priority = await create(org.seniorManager.token, {
      title: 'Reduce equipment downtime',
      level: 'organisation',
      ownerStaffId: org.seniorManager.id,
    });
    expect(priority.status, JSON.stringify(priority.body)).toBe(201);
    expect(
      (await create(org.middleManager.token, { title: 'x', level: 'organisation', ownerStaffId: org.seniorManager.id }))
        .status,
    ).toBe(403);
    const noWard = await create(org.adminToken, {
      title: 'Ward thing',
      level: 'ward',
      ownerStaffId: org.seniorManager.id,
    });
    expect(noWard.status).toBe(400);
    expect(noWard.body.errors[0].path).toBe('body.wardId');

    const item = await raiseHighRiskItem(ctx, org, { description: `Priority link ${nextDate()}` });
    const linked = await post(ctx.app, `/v1/items/${item.id}/priorities`, org.clinician.token, {
      priorityId: priority.body.id,
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);
    expect(linked.body.alignment.priorityAligned).toBe(true);
    expect(linked.body.priorities).toEqual([
      { id: priority.body.id, title: 'Reduce equipment downtime', active: true },
    ]);
    expect(
      (
        await post(ctx.app, `/v1/items/${item.id}/priorities`, org.middleManager.token, {
          priorityId: priority.body.id,
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await post(ctx.app, `/v1/items/${item.id}/priorities`, other.seniorManager.token, {
          priorityId: priority.body.id,
        })
      ).status,
    ).toBe(404);
    expect(
      (await post(ctx.app, `/v1/items/${item.id}/priorities`, org.governance.token, { priorityId: priority.body.id }))
        .status,
    ).toBe(403);

    const list = await get(ctx.app, '/v1/priorities', org.clinician.token);
    expect(list.body.data.find((p: { id: string }) => p.id === priority.body.id)).toMatchObject({
      linkedItems: 1,
      openLinkedItems: 1,
    });

    const deactivated = await ctx.app.inject({
      method: 'PATCH',
      url: `/v1/priorities/${priority.body.id}`,
      headers: { authorization: `Bearer ${org.adminToken}` },
      payload: { active: false },
    });
    expect(deactivated.statusCode).toBe(200);
    expect((await itemView(item.id)).alignment.priorityAligned).toBe(false);

    const unlinked = await ctx.app.inject({
      method: 'DELETE',
      url: `/v1/items/${item.id}/priorities/${priority.body.id}`,
      headers: { authorization: `Bearer ${org.clinician.token}` },
    });
    expect(unlinked.statusCode).toBe(200);
    expect(unlinked.json().priorities).toEqual([]);
  });
});

describe('linking an item to a priority', () => {
  it("takes only an active priority that covers the item's ward: the organisation's, its division's or its own", async () => {
    const [own, next] = org.wards as [Organisation['wards'][0], Organisation['wards'][0]];
    const create = async (body: Record<string, unknown>) => {
      const res = await post(ctx.app, '/v1/priorities', org.adminToken, {
        ownerStaffId: org.seniorManager.id,
        ...body,
      });
      expect(res.status, res.raw).toBe(201);
      return res.body.id as string;
    };
    const nextWards = await create({ title: 'Falls on the next ward', level: 'ward', wardId: next.id });
    const ownWards = await create({ title: 'Falls on this ward', level: 'ward', wardId: own.id });
    const surgery = await create({ title: 'Theatre flow', level: 'division', division: 'Surgery, elsewhere' });
    const item = await raiseHighRiskItem(ctx, org, { description: `Priority cover ${nextDate()}` });
    const link = (token: string, priorityId: string) =>
      post(ctx.app, `/v1/items/${item.id}/priorities`, token, { priorityId });

    for (const [token, priorityId, level] of [
      [own.deviceToken, nextWards, 'ward'],
      [org.seniorManager.token, nextWards, 'ward'],
      [own.deviceToken, surgery, 'division'],
    ] as const) {
      const refused = expectProblem(await link(token, priorityId), 422);
      expect(refused.errors).toEqual([{ path: 'body.priorityId', message: `names a priority of another ${level}` }]);
    }
    const deactivated = await patch(ctx.app, `/v1/priorities/${ownWards}`, org.adminToken, { active: false });
    expect(deactivated.status, deactivated.raw).toBe(200);
    expect(expectProblem(await link(own.deviceToken, ownWards), 409).detail).toBe('The priority is no longer active');
    const active = await patch(ctx.app, `/v1/priorities/${ownWards}`, org.adminToken, { active: true });
    expect(active.status, active.raw).toBe(200);
    const linked = await link(own.deviceToken, ownWards);
    expect(linked.status, linked.raw).toBe(200);
    expect(linked.body.priorities).toEqual([{ id: ownWards, title: 'Falls on this ward', active: true }]);
  });
});

describe('repeats and persistent issues', () => {
  const ward = () => org.wards[0]!;
  async function raise(date: string, items: Record<string, unknown>[], wardIndex = 0) {
    const w = org.wards[wardIndex]!;
    const res = await post(ctx.app, '/v1/briefings', w.deviceToken, briefingBody(w.id, { date, items }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.items as UntypedJson[];
  }
  const problem = (description: string, extra: Record<string, unknown> = {}) => ({
    kind: 'problem',
    category: 'diagnostics',
    description,
    consequence: 3,
    likelihood: 3,
    ...extra,
  });

  it('finds a repeat by similar wording on the same ward and category, and not otherwise', async () => {
    const [original] = await raise('2026-06-01', [problem('CT reports for inpatients taking more than 24 hours')]);
    const [repeat, differentCategory, unrelated] = await raise('2026-06-03', [
      problem('CT reports for inpatients are taking over 24 hours'),
      problem('CT reports for inpatients taking more than 24 hours', { category: 'staffing' }),
      problem('No porters available for the evening transfers'),
    ]);
    expect(repeat.recurrence).toMatchObject({
      recurrenceOf: original.id,
      source: 'detected',
      threadId: original.id,
      timesRaised: 2,
    });
    expect(differentCategory.recurrence.recurrenceOf).toBeNull();
    expect(unrelated.recurrence.recurrenceOf).toBeNull();
    // Another ward's identical wording is not a repeat of this ward's issue.
    const [elsewhere] = await raise('2026-06-03', [problem('CT reports for inpatients taking more than 24 hours')], 1);
    expect(elsewhere.recurrence.recurrenceOf).toBeNull();
    // More than 30 days later it is a new issue.
    const [late] = await raise('2026-07-20', [problem('CT reports for inpatients taking more than 24 hours')]);
    expect(late.recurrence.recurrenceOf).toBeNull();
  });

  it('does not link to an item that is already resolved', async () => {
    const [first] = await raise('2026-06-10', [problem('Blood gas analyser out of cartridges again today')]);
    expect(
      (await post(ctx.app, `/v1/items/${first.id}/resolve`, ward().deviceToken, { note: 'Stock arrived' })).status,
    ).toBe(200);
    const [again] = await raise('2026-06-11', [problem('Blood gas analyser out of cartridges again today')]);
    expect(again.recurrence.recurrenceOf).toBeNull();
  });

  it('takes the repeat the ward names, and lets the ward undo a wrong match', async () => {
    const [first] = await raise('2026-06-15', [problem('Ultrasound list cancelled at short notice')]);
    const [named] = await raise('2026-06-16', [
      problem('Echo slots not available this week', { recurrenceOf: first.id }),
    ]);
    expect(named.recurrence).toMatchObject({ recurrenceOf: first.id, source: 'named', timesRaised: 2 });
    const [third] = await raise('2026-06-17', [problem('Echo slots not available this week either')]);
    expect(third.recurrence).toMatchObject({ recurrenceOf: named.id, threadId: first.id, timesRaised: 3 });

    const undo = await ctx.app.inject({
      method: 'DELETE',
      url: `/v1/items/${named.id}/recurrence`,
      headers: { authorization: `Bearer ${ward().deviceToken}` },
    });
    expect(undo.statusCode, undo.body).toBe(200);
    expect(undo.json().recurrence).toMatchObject({ recurrenceOf: null, threadId: named.id, timesRaised: 2 });
    const thirdNow = await itemView(third.id);
    expect(thirdNow.recurrence).toMatchObject({ threadId: named.id, timesRaised: 2 });
    expect((await itemView(first.id)).recurrence.timesRaised).toBe(1);

    const otherWardItem = await raise('2026-06-18', [problem('Unrelated')], 1);
    const badName = await post(
      ctx.app,
      '/v1/briefings',
      ward().deviceToken,
      briefingBody(ward().id, { date: '2026-06-19', items: [problem('x', { recurrenceOf: otherWardItem[0].id })] }),
    );
    expect(badName.status).toBe(400);
    expect(badName.body.errors[0].path).toBe('body.items.0.recurrenceOf');
  });

  it('lists persistent threads ranked by risk, repeats and age', async () => {
    const day = (n: number) => addDays(localDateOf(new Date()), -n);
    // A thread raised three times in the last week (risk 9).
    for (const n of [6, 4, 2])
      await raise(day(n), [problem('Phlebotomy round missed the ward entirely', { category: 'clinical_process' })]);
    // A single item open for 20 days (risk 16), and one open 5 days (not persistent).
    await raise(day(20), [
      problem('Hoist battery will not hold charge', { category: 'equipment', consequence: 4, likelihood: 4 }),
    ]);
    await raise(day(5), [problem('Bed rails sticking on bay 1 beds', { category: 'estates_environment' })]);

    const res = await get(ctx.app, `/v1/items?persistent=true&wardId=${ward().id}`, org.middleManager.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const titles = res.body.data.map((i: { description: string }) => i.description);
    expect(titles).toContain('Phlebotomy round missed the ward entirely');
    expect(titles).toContain('Hoist battery will not hold charge');
    expect(titles).not.toContain('Bed rails sticking on bay 1 beds');
    // Ranks follow the formula: hoist 16 x 1 x (1 + 20/30) = 26.67; phlebotomy 9 x (1 + ln 3) x (1 + 6/30) = 22.66.
    const hoist = res.body.data.find((i: { description: string }) => i.description.startsWith('Hoist'));
    const phleb = res.body.data.find((i: { description: string }) => i.description.startsWith('Phlebotomy'));
    expect(hoist.rank).toBeCloseTo(26.67, 1);
    expect(phleb.rank).toBeCloseTo(22.66, 1);
    expect(phleb.recurrence).toMatchObject({ timesRaised: 3, firstRaisedOn: day(6), daysOpen: 6 });
    const ranks = res.body.data.map((i: { rank: number }) => i.rank);
    expect([...ranks].sort((a: number, b: number) => b - a)).toEqual(ranks);

    // The same threads, ranked the same, for readers of every ward (no ward named) and of their own wards.
    const orgWide = await get(ctx.app, '/v1/items?persistent=true', org.governance.token);
    const ownWards = await get(ctx.app, '/v1/items?persistent=true', org.middleManager.token);
    for (const other of [orgWide, ownWards]) {
      expect(other.status, JSON.stringify(other.body)).toBe(200);
      const rankOf = (title: string) =>
        other.body.data.find((i: { description: string }) => i.description.startsWith(title))?.rank;
      expect(rankOf('Hoist')).toBe(hoist.rank);
      expect(rankOf('Phlebotomy')).toBe(phleb.rank);
      expect(rankOf('Bed rails')).toBeUndefined();
    }
  });
});

describe('the audit trail', () => {
  it('verifies, refuses changes, and reports tampering with the first broken event', async () => {
    const item = await raiseHighRiskItem(ctx, org, { description: `Audit ${nextDate()}` });
    await post(ctx.app, `/v1/escalations/${item.escalation.id}/acknowledge`, org.middleManager.token, {});
    const ok = await get(ctx.app, '/v1/audit/verify', org.governance.token);
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toBe(true);
    expect(ok.body.events).toBeGreaterThan(10);
    expect((await get(ctx.app, '/v1/audit/verify', org.clinician.token)).status).toBe(403);

    const timeline = await get(ctx.app, `/v1/items/${item.id}/timeline`, org.wards[0]!.deviceToken);
    expect(
      timeline.body.data.map((e: { entityType: string; action: string }) => `${e.entityType}:${e.action}`),
    ).toEqual(['item:raised', 'escalation:started', 'escalation:acknowledge']);
    const raised = timeline.body.data[0];
    expect(raised.actor).toMatchObject({ type: 'ward_device', role: 'ward_device' });
    expect(raised.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(timeline.body)).not.toContain('Audit '); // free text is referenced, not copied

    const db = ctx.database.db;
    await expect(
      db.execute(sql`update audit_events set action = 'x' where organisation_id = ${org.id}`),
    ).rejects.toThrow();
    await expect(db.execute(sql`delete from audit_events where organisation_id = ${org.id}`)).rejects.toThrow();

    // A superuser who bypasses the trigger can alter a row; verify notices.
    const result = await db.execute(
      sql`select id from audit_events where organisation_id = ${org.id} order by seq limit 1 offset 3`,
    );
    const victim = (result as { rows: { id: number }[] }).rows[0];
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`update audit_events set changes = '{"tampered": true}' where id = ${victim!.id}`);
    });
    const broken = await get(ctx.app, '/v1/audit/verify', org.adminToken);
    expect(broken.body).toMatchObject({
      ok: false,
      firstBrokenEventId: Number(victim!.id),
      firstBrokenSeq: 4,
      events: 3,
    });
    // The other organisation's chain is untouched.
    expect((await get(ctx.app, '/v1/audit/verify', other.adminToken)).body.ok).toBe(true);
  });
});
