/** Recording a briefing: grading, briefings not held, resolving at the ward, one briefing per ward, date and shift. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { ItemAnswer as Item } from '../helpers/fixtures.js';
import { putPolicy } from '../helpers/escalation.js';
import {
  briefingBody,
  createOrganisation,
  expectProblem,
  get,
  newKey,
  post,
  type Organisation,
} from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
});
afterAll(() => ctx?.close());

const ids = (rows: { id: string }[]) => rows.map((row) => row.id);

describe('recording a briefing', () => {
  it('stores the briefing and grades each item on the 5x5 matrix', async () => {
    const ward = org.wards[0]!;
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id), {
      'idempotency-key': newKey(),
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      wardId: ward.id,
      date: '2026-11-02',
      shift: 'day',
      held: true,
      facilitator: 'Charge nurse',
      attendance: { nursing: 6, medical: 2, allied: 1, manager: 1, other: 0 },
      durationMinutes: 12,
      redactions: [],
    });
    expect(res.body.items).toHaveLength(2);
    expect(res.body.items[0]).toMatchObject({
      id: expect.any(String),
      briefingId: res.body.id,
      wardId: ward.id,
      raisedOn: '2026-11-02',
      kind: 'problem',
      consequence: 4,
      likelihood: 3,
      riskScore: 12,
      riskBand: 'high',
      status: 'open',
      resolution: null,
    });
    expect(res.body.items[1]).toMatchObject({
      kind: 'good_practice',
      riskScore: null,
      riskBand: null,
      status: 'resolved',
    });
    expect(res.body.items[0].id).not.toBe(res.body.items[1].id);

    const read = await get(ctx.app, `/v1/briefings/${res.body.id}`, org.clinician.token);
    expect(read.status).toBe(200);
    // Everything the stored briefing shows is what the create answer said.
    expect(res.body).toMatchObject(read.body);
    expect(Object.keys(read.body).length).toBeGreaterThan(10);

    const item = await get(ctx.app, `/v1/items/${res.body.items[0].id}`, org.governance.token);
    expect(item.status).toBe(200);
    expect(item.body).toEqual(res.body.items[0]);
  });

  it('answers with the items as stored, including the escalations it started and the threads it joined', async () => {
    const other = await createOrganisation(ctx.app);
    const ward = other.wards[0]!;
    await putPolicy(ctx, other, ward.id, {
      levels: [{ staffId: other.middleManager.id }, { staffId: other.seniorManager.id }],
      categoryRoutes: { equipment: other.seniorManager.id },
    });
    const pumps = {
      kind: 'problem',
      category: 'equipment',
      description: 'Infusion pumps failing their safety check',
      consequence: 4,
      likelihood: 3,
    };
    const first = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: '2026-06-01',
      items: [pumps],
    });
    expect(first.status, first.raw).toBe(201);

    const second = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: '2026-06-02',
      items: [
        { ...pumps, recurrenceOf: first.body.items[0].id },
        {
          kind: 'risk',
          category: 'staffing',
          description: 'Two nurses short on the night shift',
          consequence: 3,
          likelihood: 5,
          needsChange: true,
        },
        { kind: 'good_practice', category: 'communication', description: 'Handover checklist used on every bed' },
      ],
    });
    expect(second.status, second.raw).toBe(201);
    const [repeat, staffing, good] = second.body.items;
    // Level 1 of each chain: the policy's first level, or the category's route (equipment), named.
    expect(staffing.escalation).toMatchObject({
      level: 1,
      state: 'open',
      assignee: { id: other.middleManager.id, name: expect.any(String) },
    });
    expect(staffing.escalation.assignee.name.length).toBeGreaterThan(0);
    // The repeat joined its thread's open escalation rather than opening another.
    expect(repeat.escalation).toMatchObject({
      id: first.body.items[0].escalation.id,
      level: 1,
      assignee: { id: other.seniorManager.id },
    });
    expect(repeat.recurrence).toMatchObject({
      recurrenceOf: first.body.items[0].id,
      source: 'named',
      timesRaised: 2,
      firstRaisedOn: '2026-06-01',
    });
    expect(good.escalation).toBeNull();

    // What the create answer said is exactly what the stored briefing shows.
    const read = await get(ctx.app, `/v1/briefings/${second.body.id}`, other.governance.token);
    expect(read.status, read.raw).toBe(200);
    const { redactions, unroutedItemIds, ...created } = second.body;
    expect({ redactions, unroutedItemIds }).toEqual({ redactions: [], unroutedItemIds: [] });
    expect(created).toEqual(read.body);
  });

  it('grades each band boundary with the default NPSA cut-offs', async () => {
    const ward = org.wards[1]!;
    const grades: [number, number, string][] = [
      [1, 3, 'low'],
      [2, 2, 'moderate'],
      [2, 3, 'moderate'],
      [2, 4, 'high'],
      [3, 4, 'high'],
      [3, 5, 'extreme'],
      [5, 5, 'extreme'],
    ];
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: '2026-11-03',
      items: grades.map(([consequence, likelihood]) => ({
        kind: 'risk',
        category: 'staffing',
        description: `Risk graded ${consequence} by ${likelihood}`,
        consequence,
        likelihood,
      })),
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.items.map((i: { riskScore: number; riskBand: string }) => [i.riskScore, i.riskBand])).toEqual(
      grades.map(([c, l, band]) => [c * l, band]),
    );
  });

  it('records an item resolved at the briefing as resolved, with the action taken', async () => {
    const ward = org.wards[1]!;
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: '2026-11-04',
      items: [
        {
          kind: 'problem',
          category: 'medication',
          description: 'Controlled drug book not countersigned',
          consequence: 2,
          likelihood: 2,
          resolvedAtBriefing: true,
          actionTaken: 'Countersigned during the huddle',
        },
      ],
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.items[0]).toMatchObject({
      status: 'resolved',
      resolvedAtBriefing: true,
      actionTaken: 'Countersigned during the huddle',
      resolution: { note: null, resolvedAt: expect.any(String) },
    });
  });
  it('answers with each item exactly as reading it back shows it, for a briefing recorded long after it was held', async () => {
    // A paper proforma typed in weeks later: the open item has been open since the briefing's date.
    const res = await post(
      ctx.app,
      '/v1/briefings',
      org.wards[0]!.deviceToken,
      briefingBody(org.wards[0]!.id, { date: '2026-09-01' }),
      {
        'idempotency-key': newKey(),
      },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const open = res.body.items.find((i: Item) => i.status === 'open');
    expect(open.recurrence).toMatchObject({ timesRaised: 1, firstRaisedOn: '2026-09-01' });
    expect(open.recurrence.daysOpen).toBeGreaterThan(60);
    const readBack = await get(ctx.app, `/v1/briefings/${res.body.id}`, org.wards[0]!.deviceToken);
    expect(res.body.items).toEqual(readBack.body.items);
  });
});

describe('a briefing that was not held', () => {
  const ward = () => org.wards[1]!;

  it('is recorded with its reason and no items', async () => {
    const res = await post(ctx.app, '/v1/briefings', ward().deviceToken, {
      wardId: ward().id,
      date: '2026-11-05',
      held: false,
      notHeldReason: 'Major incident declared; all staff on the floor',
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body).toMatchObject({
      held: false,
      notHeldReason: 'Major incident declared; all staff on the floor',
      items: [],
    });
    const read = await get(ctx.app, `/v1/briefings/${res.body.id}`, org.adminToken);
    expect(read.body).toMatchObject({ held: false, notHeldReason: 'Major incident declared; all staff on the floor' });
  });

  it('needs a reason', async () => {
    const res = await post(ctx.app, '/v1/briefings', ward().deviceToken, {
      wardId: ward().id,
      date: '2026-11-06',
      held: false,
    });
    const problem = expectProblem(res, 400);
    expect(problem.errors).toContainEqual({ path: 'body.notHeldReason', message: expect.any(String) });
  });

  it('cannot carry items', async () => {
    const res = await post(ctx.app, '/v1/briefings', ward().deviceToken, {
      wardId: ward().id,
      date: '2026-11-06',
      held: false,
      notHeldReason: 'Ward closed for deep clean',
      items: [{ kind: 'good_practice', category: 'other', description: 'Deep clean went well' }],
    });
    const problem = expectProblem(res, 400);
    expect(problem.errors).toContainEqual({ path: 'body.items', message: expect.any(String) });
  });

  it('a held briefing cannot give a reason for not being held', async () => {
    const res = await post(ctx.app, '/v1/briefings', ward().deviceToken, {
      wardId: ward().id,
      date: '2026-11-06',
      notHeldReason: 'Contradiction',
    });
    const problem = expectProblem(res, 400);
    expect(problem.errors).toContainEqual({ path: 'body.notHeldReason', message: expect.any(String) });
    const list = await get(ctx.app, `/v1/briefings?wardId=${ward().id}&from=2026-11-06&to=2026-11-06`, org.adminToken);
    expect(list.body.data).toEqual([]);
  });
});

describe('resolving an item at the ward', () => {
  it('resolves an open item once; a second resolve is 409', async () => {
    const ward = org.wards[0]!;
    const created = await post(
      ctx.app,
      '/v1/briefings',
      ward.deviceToken,
      briefingBody(ward.id, { date: '2026-11-07' }),
    );
    expect(created.status, created.raw).toBe(201);
    const [problem, goodPractice] = created.body.items as Item[];

    const resolved = await post(ctx.app, `/v1/items/${problem!.id}/resolve`, org.clinician.token, {
      note: 'Pump replaced by EBME',
    });
    expect(resolved.status, resolved.raw).toBe(200);
    expect(resolved.body).toMatchObject({
      id: problem!.id,
      status: 'resolved',
      resolvedAtBriefing: false,
      resolution: { note: 'Pump replaced by EBME', resolvedAt: expect.any(String) },
    });
    const read = await get(ctx.app, `/v1/items/${problem!.id}`, org.adminToken);
    expect(read.body).toEqual(resolved.body);

    const again = await post(ctx.app, `/v1/items/${problem!.id}/resolve`, ward.deviceToken, { note: 'Resolved twice' });
    expectProblem(again, 409);
    const unchanged = await get(ctx.app, `/v1/items/${problem!.id}`, org.adminToken);
    expect(unchanged.body.resolution.note).toBe('Pump replaced by EBME');

    // Good practice is closed when it is recorded.
    expectProblem(await post(ctx.app, `/v1/items/${goodPractice!.id}/resolve`, ward.deviceToken, { note: 'x' }), 409);
  });

  it('needs a note', async () => {
    const ward = org.wards[0]!;
    const created = await post(
      ctx.app,
      '/v1/briefings',
      ward.deviceToken,
      briefingBody(ward.id, { date: '2026-11-08' }),
    );
    const itemId = created.body.items[0].id;
    const problem = expectProblem(await post(ctx.app, `/v1/items/${itemId}/resolve`, ward.deviceToken, {}), 400);
    expect(problem.errors).toContainEqual({ path: 'body.note', message: expect.any(String) });
    expectProblem(await post(ctx.app, `/v1/items/${itemId}/resolve`, ward.deviceToken, { note: '   ' }), 400);
    expect((await get(ctx.app, `/v1/items/${itemId}`, org.adminToken)).body.status).toBe('open');
  });
});

describe('one briefing per ward, date and shift', () => {
  it('answers a second briefing for the same ward, date and shift with 409 and the existing id', async () => {
    const ward = org.wards[0]!;
    const body = briefingBody(ward.id, { date: '2026-11-10' });
    const first = await post(ctx.app, '/v1/briefings', ward.deviceToken, body, { 'idempotency-key': newKey() });
    expect(first.status, first.raw).toBe(201);

    // A different key, and a different recorder on the same ward: still the same briefing slot.
    const second = await post(
      ctx.app,
      '/v1/briefings',
      org.clinician.token,
      { ...body, facilitator: 'Ward sister' },
      {
        'idempotency-key': newKey(),
      },
    );
    const problem = expectProblem(second, 409);
    expect(problem.existingBriefingId).toBe(first.body.id);

    const night = await post(
      ctx.app,
      '/v1/briefings',
      ward.deviceToken,
      { ...body, shift: 'night' },
      { 'idempotency-key': newKey() },
    );
    expect(night.status, night.raw).toBe(201);
    expect(night.body.id).not.toBe(first.body.id);

    // The other ward's day briefing for the same date is its own.
    const otherWard = org.wards[1]!;
    const other = await post(
      ctx.app,
      '/v1/briefings',
      otherWard.deviceToken,
      briefingBody(otherWard.id, { date: '2026-11-10' }),
    );
    expect(other.status, other.raw).toBe(201);

    const list = await get(ctx.app, `/v1/briefings?wardId=${ward.id}&from=2026-11-10&to=2026-11-10`, org.adminToken);
    expect(ids(list.body.data).sort()).toEqual([first.body.id, night.body.id].sort());
  });

  it('lets exactly one of several concurrent duplicates through; the rest are 409 naming it', async () => {
    const ward = org.wards[1]!;
    const body = briefingBody(ward.id, { date: '2026-11-11' });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        post(ctx.app, '/v1/briefings', ward.deviceToken, body, { 'idempotency-key': newKey() }),
      ),
    );
    const createdAnswers = answers.filter((a) => a.status === 201);
    expect(createdAnswers, answers.map((a) => a.raw).join('\n')).toHaveLength(1);
    const winner = createdAnswers[0]!.body.id;
    for (const answer of answers.filter((a) => a.status !== 201)) {
      expect(expectProblem(answer, 409).existingBriefingId).toBe(winner);
    }
    const list = await get(ctx.app, `/v1/briefings?wardId=${ward.id}&from=2026-11-11&to=2026-11-11`, org.adminToken);
    expect(ids(list.body.data)).toEqual([winner]);
    const items = await get(ctx.app, `/v1/items?wardId=${ward.id}&from=2026-11-11&to=2026-11-11`, org.adminToken);
    expect(items.body.data).toHaveLength(2);
  });
});
