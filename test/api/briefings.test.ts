import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { putPolicy } from '../helpers/escalation.js';
import {
  briefingBody,
  createOrganisation,
  expectProblem,
  get,
  newKey,
  patch,
  post,
  type ApiResponse,
  type Organisation,
} from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
});
afterAll(() => ctx?.close());

type Item = { id: string; briefingId: string; wardId: string; raisedOn: string; kind: string; category: string; riskBand: string | null; status: string };
type Briefing = { id: string; wardId: string; date: string; shift: string; items: Item[] };

const ids = (rows: { id: string }[]) => rows.map((row) => row.id);

/** Follows nextCursor from the first page to the last, as a client would. */
async function allPages<T extends { id: string }>(url: string, token: string, limit: number) {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const separator = url.includes('?') ? '&' : '?';
    const page: ApiResponse<{ data: T[]; nextCursor: string | null }> = await get(
      ctx.app,
      `${url}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      token,
    );
    expect(page.status, page.raw).toBe(200);
    expect(page.body.data.length).toBeLessThanOrEqual(limit);
    pages.push(page.body.data);
    cursor = page.body.nextCursor;
    expect(pages.length, 'pagination does not end').toBeLessThan(100);
  } while (cursor);
  return pages;
}

describe('recording a briefing', () => {
  it('stores the briefing and grades each item on the 5x5 matrix', async () => {
    const ward = org.wards[0]!;
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id), { 'idempotency-key': newKey() });
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
    expect(res.body.items[1]).toMatchObject({ kind: 'good_practice', riskScore: null, riskBand: null, status: 'resolved' });
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
    const pumps = { kind: 'problem', category: 'equipment', description: 'Infusion pumps failing their safety check', consequence: 4, likelihood: 3 };
    const first = await post(ctx.app, '/v1/briefings', ward.deviceToken, { wardId: ward.id, date: '2026-06-01', items: [pumps] });
    expect(first.status, first.raw).toBe(201);

    const second = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: '2026-06-02',
      items: [
        { ...pumps, recurrenceOf: first.body.items[0].id },
        { kind: 'risk', category: 'staffing', description: 'Two nurses short on the night shift', consequence: 3, likelihood: 5, needsChange: true },
        { kind: 'good_practice', category: 'communication', description: 'Handover checklist used on every bed' },
      ],
    });
    expect(second.status, second.raw).toBe(201);
    const [repeat, staffing, good] = second.body.items;
    // Level 1 of each chain: the policy's first level, or the category's route (equipment), named.
    expect(staffing.escalation).toMatchObject({ level: 1, state: 'open', assignee: { id: other.middleManager.id, name: expect.any(String) } });
    expect(staffing.escalation.assignee.name.length).toBeGreaterThan(0);
    expect(repeat.escalation).toMatchObject({ level: 1, assignee: { id: other.seniorManager.id } });
    expect(repeat.recurrence).toMatchObject({ recurrenceOf: first.body.items[0].id, source: 'named', timesRaised: 2, firstRaisedOn: '2026-06-01' });
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
    const res = await post(ctx.app, '/v1/briefings', org.wards[0]!.deviceToken, briefingBody(org.wards[0]!.id, { date: '2026-09-01' }), {
      'idempotency-key': newKey(),
    });
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
    expect(res.body).toMatchObject({ held: false, notHeldReason: 'Major incident declared; all staff on the floor', items: [] });
    const read = await get(ctx.app, `/v1/briefings/${res.body.id}`, org.adminToken);
    expect(read.body).toMatchObject({ held: false, notHeldReason: 'Major incident declared; all staff on the floor' });
  });

  it('needs a reason', async () => {
    const res = await post(ctx.app, '/v1/briefings', ward().deviceToken, { wardId: ward().id, date: '2026-11-06', held: false });
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
    const created = await post(ctx.app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id, { date: '2026-11-07' }));
    expect(created.status, created.raw).toBe(201);
    const [problem, goodPractice] = created.body.items as Item[];

    const resolved = await post(ctx.app, `/v1/items/${problem!.id}/resolve`, org.clinician.token, { note: 'Pump replaced by EBME' });
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
    const created = await post(ctx.app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id, { date: '2026-11-08' }));
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
    const second = await post(ctx.app, '/v1/briefings', org.clinician.token, { ...body, facilitator: 'Ward sister' }, {
      'idempotency-key': newKey(),
    });
    const problem = expectProblem(second, 409);
    expect(problem.existingBriefingId).toBe(first.body.id);

    const night = await post(ctx.app, '/v1/briefings', ward.deviceToken, { ...body, shift: 'night' }, { 'idempotency-key': newKey() });
    expect(night.status, night.raw).toBe(201);
    expect(night.body.id).not.toBe(first.body.id);

    // The other ward's day briefing for the same date is its own.
    const otherWard = org.wards[1]!;
    const other = await post(ctx.app, '/v1/briefings', otherWard.deviceToken, briefingBody(otherWard.id, { date: '2026-11-10' }));
    expect(other.status, other.raw).toBe(201);

    const list = await get(ctx.app, `/v1/briefings?wardId=${ward.id}&from=2026-11-10&to=2026-11-10`, org.adminToken);
    expect(ids(list.body.data).sort()).toEqual([first.body.id, night.body.id].sort());
  });

  it('lets exactly one of several concurrent duplicates through; the rest are 409 naming it', async () => {
    const ward = org.wards[1]!;
    const body = briefingBody(ward.id, { date: '2026-11-11' });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => post(ctx.app, '/v1/briefings', ward.deviceToken, body, { 'idempotency-key': newKey() })),
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

describe('organisation risk bands', () => {
  it('grades newly recorded items with the organisation cut-offs and leaves earlier items as graded', async () => {
    const trust = await createOrganisation(ctx.app);
    const ward = trust.wards[0]!;
    const risk = (description: string) => ({ kind: 'risk', category: 'staffing', description, consequence: 3, likelihood: 4 });

    const before = await post(ctx.app, '/v1/briefings', ward.deviceToken, { wardId: ward.id, date: '2026-11-12', items: [risk('Before')] });
    expect(before.body.items[0]).toMatchObject({ riskScore: 12, riskBand: 'high' });

    const settings = await patch(ctx.app, '/v1/organisation/settings', trust.adminToken, {
      riskBands: { moderate: 3, high: 6, extreme: 12 },
    });
    expect(settings.status, settings.raw).toBe(200);
    expect(settings.body.settings.riskBands).toEqual({ moderate: 3, high: 6, extreme: 12 });

    const after = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: '2026-11-13',
      items: [risk('After'), { ...risk('Low'), consequence: 1, likelihood: 2 }, { ...risk('Moderate'), consequence: 1, likelihood: 3 }],
    });
    expect(after.status, after.raw).toBe(201);
    expect(after.body.items.map((i: Item) => i.riskBand)).toEqual(['extreme', 'low', 'moderate']);

    expect((await get(ctx.app, `/v1/items/${before.body.items[0].id}`, trust.adminToken)).body.riskBand).toBe('high');
    // Another organisation keeps the defaults.
    const elsewhere = await post(ctx.app, '/v1/briefings', org.wards[0]!.deviceToken, {
      wardId: org.wards[0]!.id,
      date: '2026-11-13',
      items: [risk('Default bands')],
    });
    expect(elsewhere.body.items[0].riskBand).toBe('high');
  });

  it('refuses cut-offs that are not strictly increasing, and only org admins may change them', async () => {
    const bad = await patch(ctx.app, '/v1/organisation/settings', org.adminToken, { riskBands: { moderate: 8, high: 8, extreme: 15 } });
    const problem = expectProblem(bad, 400);
    expect(problem.errors).toContainEqual({ path: 'body.riskBands', message: expect.any(String) });
    expectProblem(await patch(ctx.app, '/v1/organisation/settings', org.seniorManager.token, { identifierPolicy: 'redact' }), 403);
    const current = await get(ctx.app, '/v1/organisation', org.governance.token);
    expect(current.body.settings).toMatchObject({ riskBands: { moderate: 4, high: 8, extreme: 15 }, identifierPolicy: 'reject' });
  });
});

describe('listing briefings and items', () => {
  let trust: Organisation;
  const briefings: Briefing[] = [];
  const allItems = () => briefings.flatMap((b) => b.items);

  const CATEGORIES = ['staffing', 'equipment', 'medication'] as const;
  // Grades chosen to hit every default band.
  const GRADES: [number, number][] = [[1, 2], [2, 3], [3, 4], [5, 4]];

  beforeAll(async () => {
    trust = await createOrganisation(ctx.app);
    let n = 0;
    for (const [w, ward] of trust.wards.entries()) {
      for (let day = 1; day <= 6; day++) {
        for (const shift of day % 3 === 0 ? ['day', 'night'] : ['day']) {
          const date = `2026-10-${String(day).padStart(2, '0')}`;
          const itemCount = (day + w) % 4; // 0..3 items, so some briefings have none
          const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
            wardId: ward.id,
            date,
            shift,
            items: Array.from({ length: itemCount }, (_, i) => {
              n++;
              const [consequence, likelihood] = GRADES[n % GRADES.length]!;
              return {
                kind: n % 5 === 0 ? 'problem' : 'risk',
                category: CATEGORIES[n % CATEGORIES.length],
                description: `Item ${n} on ${ward.code} ${date} ${shift} #${i}`,
                consequence,
                likelihood,
              };
            }),
          });
          expect(res.status, res.raw).toBe(201);
          briefings.push(res.body);
        }
      }
    }
    // Resolve some so the status filter has both kinds.
    for (const item of allItems().filter((_, i) => i % 3 === 0)) {
      const device = trust.wards.find((w) => w.id === item.wardId)!.deviceToken;
      const res = await post(ctx.app, `/v1/items/${item.id}/resolve`, device, { note: 'Sorted on the ward' });
      expect(res.status, res.raw).toBe(200);
      item.status = 'resolved';
    }
  });

  it('pages through every briefing newest first with no duplicates or gaps', async () => {
    expect(briefings.length).toBeGreaterThan(10);
    const pages = await allPages<Briefing>('/v1/briefings', trust.governance.token, 3);
    expect(pages.length).toBe(Math.ceil(briefings.length / 3));
    const seen = pages.flat();
    expect(new Set(ids(seen)).size).toBe(seen.length);
    expect(ids(seen).sort()).toEqual(ids(briefings).sort());
    const dates = seen.map((b) => b.date);
    expect(dates).toEqual([...dates].sort().reverse());
    // Each listed briefing carries its items.
    for (const listed of seen) {
      expect(ids(listed.items)).toEqual(ids(briefings.find((b) => b.id === listed.id)!.items));
    }
  });

  it('pages through every item with no duplicates or gaps, including many items on one date', async () => {
    const items = allItems();
    expect(items.length).toBeGreaterThan(15);
    for (const limit of [1, 4, 7]) {
      const seen = (await allPages<Item>('/v1/items', trust.seniorManager.token, limit)).flat();
      expect(new Set(ids(seen)).size).toBe(seen.length);
      expect(ids(seen).sort()).toEqual(ids(items).sort());
      const dates = seen.map((i) => i.raisedOn);
      expect(dates).toEqual([...dates].sort().reverse());
    }
  });

  it('filters briefings by ward and by date range (inclusive)', async () => {
    const ward = trust.wards[1]!;
    const byWard = (await allPages<Briefing>(`/v1/briefings?wardId=${ward.id}`, trust.adminToken, 4)).flat();
    expect(ids(byWard).sort()).toEqual(ids(briefings.filter((b) => b.wardId === ward.id)).sort());

    const ranged = (await allPages<Briefing>('/v1/briefings?from=2026-10-02&to=2026-10-03', trust.adminToken, 2)).flat();
    const expected = briefings.filter((b) => b.date >= '2026-10-02' && b.date <= '2026-10-03');
    expect(expected.length).toBe(6);
    expect(ids(ranged).sort()).toEqual(ids(expected).sort());
  });

  it('filters items by ward, status, band, category and date range, alone and combined', async () => {
    const ward = trust.wards[0]!;
    const cases: [string, (i: Item) => boolean][] = [
      [`wardId=${ward.id}`, (i) => i.wardId === ward.id],
      ['status=open', (i) => i.status === 'open'],
      ['status=resolved', (i) => i.status === 'resolved'],
      ['band=low', (i) => i.riskBand === 'low'],
      ['band=moderate', (i) => i.riskBand === 'moderate'],
      ['band=high', (i) => i.riskBand === 'high'],
      ['band=extreme', (i) => i.riskBand === 'extreme'],
      ['category=equipment', (i) => i.category === 'equipment'],
      ['from=2026-10-04', (i) => i.raisedOn >= '2026-10-04'],
      ['to=2026-10-02', (i) => i.raisedOn <= '2026-10-02'],
      [
        `wardId=${ward.id}&status=open&category=staffing&from=2026-10-02&to=2026-10-05`,
        (i) => i.wardId === ward.id && i.status === 'open' && i.category === 'staffing' && i.raisedOn >= '2026-10-02' && i.raisedOn <= '2026-10-05',
      ],
    ];
    for (const [query, keep] of cases) {
      const expected = allItems().filter(keep);
      expect(expected.length, `fixture has items for ${query}`).toBeGreaterThan(0);
      expect(expected.length, `fixture leaves items out for ${query}`).toBeLessThan(allItems().length);
      const listed = (await allPages<Item>(`/v1/items?${query}`, trust.adminToken, 5)).flat();
      expect(ids(listed).sort(), query).toEqual(ids(expected).sort());
    }
  });

  it('shows ward-scoped callers only their own ward', async () => {
    const ward = trust.wards[0]!;
    const deviceView = (await allPages<Item>('/v1/items', ward.deviceToken, 50)).flat();
    expect(ids(deviceView).sort()).toEqual(ids(allItems().filter((i) => i.wardId === ward.id)).sort());
    const managerView = (await allPages<Briefing>('/v1/briefings', trust.middleManager.token, 50)).flat();
    expect(ids(managerView).sort()).toEqual(ids(briefings.filter((b) => b.wardId === ward.id)).sort());
  });

  it('caps the page size at 200 and rejects cursors it did not issue', async () => {
    expect((await get(ctx.app, '/v1/items?limit=200', trust.adminToken)).status).toBe(200);
    for (const url of ['/v1/items?limit=201', '/v1/briefings?limit=201', '/v1/items?limit=0', '/v1/briefings?limit=abc']) {
      const problem = expectProblem(await get(ctx.app, url, trust.adminToken), 400);
      expect(problem.errors).toContainEqual({ path: 'querystring.limit', message: expect.any(String) });
    }
    const problem = expectProblem(await get(ctx.app, '/v1/items?cursor=not-a-cursor', trust.adminToken), 400);
    expect(problem.errors).toContainEqual({ path: 'querystring.cursor', message: expect.any(String) });
    expectProblem(await get(ctx.app, '/v1/items?band=severe', trust.adminToken), 400);
    expectProblem(await get(ctx.app, '/v1/items?from=2026-13-01', trust.adminToken), 400);
    expectProblem(await get(ctx.app, '/v1/briefings?colour=red', trust.adminToken), 400);
  });

});
