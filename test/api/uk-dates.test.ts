import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { items } from '../../src/db/schema.js';
import { threadSummaries } from '../../src/items/present.js';
import { persistentItems } from '../../src/items/persistent.js';
import type { TenantPrincipal } from '../../src/auth/principal.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { briefingBody, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let threadId: string;

// 23:30 UTC on 1 July is 00:30 on 2 July in the UK (BST): the ward's day has already turned.
const JUST_AFTER_UK_MIDNIGHT = new Date('2026-07-01T23:30:00Z');

beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
  const ward = org.wards[0]!;
  const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id, { date: '2026-07-01' }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  threadId = res.body.items[0].thread?.threadId ?? res.body.items[0].id;
});
afterAll(() => ctx?.close());

describe("today is the trust's date, not UTC's", () => {
  it('counts an open issue raised yesterday (UK) as open 1 day just after UK midnight in summer', async () => {
    const summary = (await threadSummaries(ctx.database.db, [threadId], JUST_AFTER_UK_MIDNIGHT)).get(threadId);
    expect(summary).toMatchObject({ firstRaisedOn: '2026-07-01', daysOpen: 1 });
  });

  it('ends a resolved thread on the UK date of its resolution: resolved at 00:30 BST, it was open 2 days', async () => {
    const ward = org.wards[1]!;
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id, { date: '2026-06-30' }));
    expect(res.status, res.raw).toBe(201);
    const itemId: string = res.body.items[0].id;
    await ctx.database.db
      .update(items)
      .set({ status: 'resolved', resolvedAt: JUST_AFTER_UK_MIDNIGHT })
      .where(eq(items.id, itemId));
    const summary = (await threadSummaries(ctx.database.db, [itemId], new Date('2026-08-01T12:00:00Z'))).get(itemId);
    expect(summary).toMatchObject({ firstRaisedOn: '2026-06-30', open: false, daysOpen: 2 });
  });

  it('finds and ranks persistent issues by the UK date: raised yesterday (UK), it has been open 1 day', async () => {
    const principal: TenantPrincipal = {
      tokenId: 'governance-check',
      role: 'governance',
      organisationId: org.id,
      staffId: null,
      wardIds: [],
    };
    // Persistent once open more than 0 days: only the day count decides.
    const deps = {
      db: ctx.database.db,
      relay: { nudge: () => {} },
      tuning: { ...ctx.config.tuning, persistentMinRaised: 99, persistentMinDays: 0 },
    };
    const ranked = await persistentItems(deps, principal, { limit: 10 }, JUST_AFTER_UK_MIDNIGHT);
    expect(ranked).toHaveLength(1);
    const score = ranked[0]!.item.riskScore!;
    // rank = risk x (1 + ln 1) x (1 + daysOpen / 30), with daysOpen 1.
    expect(ranked[0]!.rank).toBe(Math.round(score * (1 + 1 / 30) * 100) / 100);
  });
});
