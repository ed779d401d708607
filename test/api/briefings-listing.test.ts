/** Listing briefings and items: cursor pages, filters, ward scope. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { ItemAnswer as Item } from '../helpers/fixtures.js';
import {
  createOrganisation,
  expectProblem,
  get,
  post,
  type ApiResponse,
  type Organisation,
} from '../helpers/fixtures.js';

let ctx: TestContext;

beforeAll(async () => {
  ({ ctx } = await startApiTest());
});
afterAll(() => ctx?.close());

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

describe('listing briefings and items', () => {
  let trust: Organisation;
  const briefings: Briefing[] = [];
  const allItems = () => briefings.flatMap((b) => b.items);

  const CATEGORIES = ['staffing', 'equipment', 'medication'] as const;
  // Grades chosen to hit every default band.
  const GRADES: [number, number][] = [
    [1, 2],
    [2, 3],
    [3, 4],
    [5, 4],
  ];

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

    const ranged = (
      await allPages<Briefing>('/v1/briefings?from=2026-10-02&to=2026-10-03', trust.adminToken, 2)
    ).flat();
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
        (i) =>
          i.wardId === ward.id &&
          i.status === 'open' &&
          i.category === 'staffing' &&
          i.raisedOn >= '2026-10-02' &&
          i.raisedOn <= '2026-10-05',
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
    for (const url of [
      '/v1/items?limit=201',
      '/v1/briefings?limit=201',
      '/v1/items?limit=0',
      '/v1/briefings?limit=abc',
    ]) {
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
