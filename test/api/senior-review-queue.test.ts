/**
 * The senior review queue counts days by the trust's calendar (not the database's), applies the
 * service's persistence thresholds, and pages with a cursor like the other lists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seniorReviewQueue } from '../../src/alignment/senior-review.js';
import type { TenantPrincipal } from '../../src/auth/principal.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { raiseHighRiskItem } from '../helpers/escalation.js';
import { briefingBody, expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }, { staffId: o.seniorManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

// 23:30 UTC on 1 July is 00:30 on 2 July in the UK (BST): the trust's day has already turned.
const JUST_AFTER_UK_MIDNIGHT = new Date('2026-07-01T23:30:00Z');

const senior = (): TenantPrincipal => ({
  tokenId: 'senior-review-check',
  role: 'senior_manager',
  organisationId: org.id,
  staffId: org.seniorManager.id,
  wardIds: [],
});

const depsWith = (tuning: Partial<typeof ctx.config.tuning>) => ({
  db: ctx.database.db,
  relay: { nudge: () => {} },
  tuning: { ...ctx.config.tuning, ...tuning },
});

interface Entry {
  itemId: string;
  daysOpen: number;
  riskScore: number | null;
  firstRaisedOn: string;
  threadId: string;
  reasons: string[];
}

describe('the senior review queue', () => {
  it("counts days open by the trust's date: raised yesterday (UK) just after UK midnight, open 1 day", async () => {
    const ward = org.wards[1]!;
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      ...briefingBody(ward.id, { date: '2026-07-01' }),
      items: [
        {
          kind: 'problem',
          category: 'communication',
          description: 'Bleep list out of date',
          consequence: 1,
          likelihood: 2,
        },
      ],
    });
    expect(res.status, res.raw).toBe(201);
    const itemId: string = res.body.items[0].id;
    // Persistent once open more than 0 days: only the day count decides.
    const deps = depsWith({ persistentMinRaised: 99, persistentMinDays: 0 });
    const queued = await seniorReviewQueue(deps, senior(), { limit: 200 }, JUST_AFTER_UK_MIDNIGHT);
    const entry = queued.data.find((e: Entry) => e.itemId === itemId);
    expect(entry).toMatchObject({ firstRaisedOn: '2026-07-01', daysOpen: 1, reasons: ['persistent'] });

    // A risk accepted until 2 July is due again on 2 July, the trust's date, though UTC's is 1 July.
    const accepted = await post(ctx.app, `/v1/items/${itemId}/senior-decision`, org.seniorManager.token, {
      decision: 'accept_risk',
      reason: 'Review after the rota change',
      reviewDate: '2026-07-02',
    });
    expect(accepted.status, accepted.raw).toBe(201);
    const again = await seniorReviewQueue(deps, senior(), { limit: 200 }, JUST_AFTER_UK_MIDNIGHT);
    expect(again.data.map((e: Entry) => e.itemId)).toContain(itemId);
  });

  it("applies the service's persistence thresholds", async () => {
    // Raised once, years ago, low risk and undisputed: persistent by the default 14 days only.
    const item = await raiseHighRiskItem(ctx, org, { consequence: 1, likelihood: 2, needsChange: false });
    const listed = async (tuning: Partial<typeof ctx.config.tuning>) =>
      (await seniorReviewQueue(depsWith(tuning), senior(), { limit: 200 })).data.map((e: Entry) => e.itemId);
    expect(await listed({})).toContain(item.id);
    expect(await listed({ persistentMinDays: 100_000 })).not.toContain(item.id);
    // Raised once: persistent by count when one raising is enough.
    expect(await listed({ persistentMinDays: 100_000, persistentMinRaised: 1 })).toContain(item.id);
  });

  it('pages with limit and cursor: every entry once, in the one order, and a bad cursor is 400', async () => {
    for (let i = 0; i < 4; i++) await raiseHighRiskItem(ctx, org, { consequence: 1 + (i % 3), likelihood: 2 });
    const all = await get<{ data: Entry[]; nextCursor: string | null }>(
      ctx.app,
      '/v1/senior-review?limit=200',
      org.seniorManager.token,
    );
    expect(all.status, all.raw).toBe(200);
    expect(all.body.data.length).toBeGreaterThanOrEqual(5);
    expect(all.body.nextCursor).toBeNull();
    const seen: Entry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/senior-review?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await get<{ data: Entry[]; nextCursor: string | null }>(ctx.app, url, org.seniorManager.token);
      expect(page.status, page.raw).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    expect(seen.map((e) => e.itemId)).toEqual(all.body.data.map((e) => e.itemId));
    expect(pages).toBe(Math.ceil(all.body.data.length / 2));
    expectProblem(await get(ctx.app, '/v1/senior-review?cursor=not-a-cursor', org.seniorManager.token), 400);
    expectProblem(await get(ctx.app, '/v1/senior-review?limit=0', org.seniorManager.token), 400);
  });
});
