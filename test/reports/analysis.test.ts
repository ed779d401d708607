/**
 * The analysis endpoints on the hand-computed dataset (dataset.ts): alignment against risk with
 * Kaplan-Meier curves, single SPC charts, and the HFMEA-style threat ranking.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { expectProblem, get } from '../helpers/fixtures.js';
import { PERIOD, buildDataset, type Dataset } from './dataset.js';

let ctx: TestContext;
let data: Dataset;

beforeAll(async () => {
  ctx = await createTestContext();
  data = await buildDataset(ctx);
}, 120_000);
afterAll(() => ctx?.close());

const q = `from=${PERIOD.from}&to=${PERIOD.to}`;

type Point = { time: number; atRisk: number; events: number; censored: number; survival: number };
/** Curves compared exactly on counts and to 12 decimals on the survival product. */
function expectCurve(actual: Point[], expected: Point[]) {
  expect(actual.map(({ survival: _s, ...rest }) => rest)).toEqual(expected.map(({ survival: _s, ...rest }) => rest));
  actual.forEach((point, i) => expect(point.survival).toBeCloseTo(expected[i]!.survival, 12));
}

describe('GET /v1/reports/alignment', () => {
  it('compares resolution by alignment state and by risk band, with odds ratios and Kaplan-Meier curves', async () => {
    const res = await get(ctx.app, `/v1/reports/alignment?${q}`, data.org.governance.token);
    expect(res.status, res.raw).toBe(200);
    const body = res.body;
    expect(body.items).toBe(12);
    const state = (name: string) => body.byAlignment.find((s: { state: string }) => s.state === name);
    // aligned_for_change: a9 resolved day 3, a1 day 4, a3 open (censored at day 26).
    expect(state('aligned_for_change')).toMatchObject({ items: 3, resolved: 2, medianDaysToResolution: 4 });
    expectCurve(state('aligned_for_change').survival.points, [
      { time: 3, atRisk: 3, events: 1, censored: 0, survival: 2 / 3 },
      { time: 4, atRisk: 2, events: 1, censored: 0, survival: 1 / 3 },
      { time: 26, atRisk: 1, events: 0, censored: 1, survival: 1 / 3 },
    ]);
    expect(state('aligned_for_change').survival.median).toBe(4);
    // pending: a7 resolved day 0; a6 censored 19; b3 resolved 20 and a5 censored 20 (events first); b2 26, b1 27 censored.
    expectCurve(state('pending').survival.points, [
      { time: 0, atRisk: 6, events: 1, censored: 0, survival: 5 / 6 },
      { time: 19, atRisk: 5, events: 0, censored: 1, survival: 5 / 6 },
      { time: 20, atRisk: 4, events: 1, censored: 1, survival: (5 / 6) * (3 / 4) },
      { time: 26, atRisk: 2, events: 0, censored: 1, survival: 0.625 },
      { time: 27, atRisk: 1, events: 0, censored: 1, survival: 0.625 },
    ]);
    expect(state('pending').survival.median).toBeNull();
    expect(state('managerial_only')).toMatchObject({
      items: 1,
      resolved: 0,
      resolutionRate: 0,
      medianDaysToResolution: null,
    });
    const band = (name: string) => body.byRiskBand.find((b: { band: string }) => b.band === name);
    // moderate: a10 day 1; a8 resolved and a11 censored at day 10; a5 censored 20.
    expectCurve(band('moderate').survival.points, [
      { time: 1, atRisk: 4, events: 1, censored: 0, survival: 0.75 },
      { time: 10, atRisk: 3, events: 1, censored: 1, survival: 0.5 },
      { time: 20, atRisk: 1, events: 0, censored: 1, survival: 0.5 },
    ]);
    expect(band('moderate').medianDaysToResolution).toBe(10);
    expect(band('extreme')).toMatchObject({ items: 2, resolved: 1, resolutionRate: 0.5, medianDaysToResolution: 20 });
    expect(body.alignedForChange).toMatchObject({
      table: { exposedResolved: 2, exposedUnresolved: 1, referenceResolved: 2, referenceUnresolved: 1 },
      method: 'woolf',
      smallCounts: true,
    });
    expect(body.alignedForChange.oddsRatio).toBeCloseTo(1, 12);
    expect(body.alignedForChange.fisherP).toBeCloseTo(1, 12);
    expect(body.alignedForChange.lower).toBeCloseTo(0.03354869873265656, 12);
    expect(body.alignedForChange.upper).toBeCloseTo(29.80741542224385, 12);
    expect(body.highRisk.oddsRatio).toBeCloseTo(2, 12);
  });

  it('for a middle manager covers their ward only', async () => {
    const res = await get(ctx.app, `/v1/reports/alignment?${q}`, data.org.middleManager.token);
    expect(res.status).toBe(200);
    expect(res.body.items).toBe(9);
    const pending = res.body.byAlignment.find((s: { state: string }) => s.state === 'pending');
    expect(pending).toMatchObject({ items: 3, resolved: 1 }); // a5, a6 open; a7 resolved
    // 3 of 4 high + extreme resolved against 2 of 5 low + moderate: p = 11/21 (worked in governance-pack.test.ts).
    expect(res.body.highRisk.table).toEqual({
      exposedResolved: 3,
      exposedUnresolved: 1,
      referenceResolved: 2,
      referenceUnresolved: 3,
    });
    expect(res.body.highRisk.fisherP).toBeCloseTo(11 / 21, 12);
  });
});

describe('GET /v1/reports/spc', () => {
  it('charts items raised per complete ISO week, with limits and a variation reading', async () => {
    const res = await get(ctx.app, `/v1/reports/spc?metric=items_raised&${q}`, data.org.governance.token);
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({
      metric: 'items_raised',
      improvement: 'neutral',
      points: [
        { period: '2025-06-02', value: 9 },
        { period: '2025-06-09', value: 3 },
        { period: '2025-06-16', value: 4 },
        { period: '2025-06-23', value: 0 },
      ],
      mean: 4,
      trial: true,
      variation: 'common_cause',
    });
    expect(res.body.assurance).toBeUndefined();
    expect(res.body.upperProcessLimit).toBeCloseTo(13.753333333333334, 12);
    expect(res.body.lowerNearLimit).toBeCloseTo(-2.5022222222222226, 12);
  });

  it('narrows to a ward, and gives no assurance for a target on a measure with no better direction', async () => {
    // W2 raised 5 items in the first week and none after: 5, 0, 0, 0. Mean 1.25; MR 5, 0, 0 -> AMR 5/3.
    const res = await get(
      ctx.app,
      `/v1/reports/spc?metric=items_raised&${q}&wardId=${data.wards.W2.id}&target=1`,
      data.org.governance.token,
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.body.points.map((p: { value: number }) => p.value)).toEqual([5, 0, 0, 0]);
    expect(res.body.mean).toBe(1.25);
    expect(res.body.upperProcessLimit).toBeCloseTo(1.25 + 2.66 * (5 / 3), 12);
    expect(res.body.upperNearLimit).toBeCloseTo(1.25 + (2 / 3) * 2.66 * (5 / 3), 12);
    // Items raised has no better direction, so a target has no passing side (as NHSRplotthedots).
    expect(res.body.assurance).toBeUndefined();
    expect(res.body.target).toBe(1);
    expect(res.body.summary.assurance).toMatch(/no better direction.*assurance is not assessed/);
    expect(res.body.scope.wards.map((w: { code: string }) => w.code)).toEqual(['W2']);
  });

  it('gives shares by week opened and medians by week resolved', async () => {
    const ack = await get(
      ctx.app,
      `/v1/reports/spc?metric=ack_within_deadline&${q}&target=0.2`,
      data.org.governance.token,
    );
    expect(ack.body.points).toEqual([
      { period: '2025-06-02', value: 0.5 },
      { period: '2025-06-09', value: 0 },
      { period: '2025-06-16', value: 1 },
    ]);
    expect(ack.body.improvement).toBe('up');
    expect(ack.body.assurance).toBe('hit_and_miss');
    const days = await get(
      ctx.app,
      `/v1/reports/spc?metric=days_to_resolution&${q}&target=1`,
      data.org.governance.token,
    );
    expect(days.status, days.raw).toBe(200);
    expect(days.body.points.map((p: { value: number }) => p.value)).toEqual([4, 0, 2, 15]);
    expect(days.body).toMatchObject({ improvement: 'down', mean: 5.25, assurance: 'hit_and_miss', target: 1 });
  });

  it('refuses an unknown metric and a missing one', async () => {
    expectProblem(await get(ctx.app, `/v1/reports/spc?metric=beds&${q}`, data.org.governance.token), 400);
    expectProblem(await get(ctx.app, `/v1/reports/spc?${q}`, data.org.governance.token), 400);
  });
});

describe('GET /v1/reports/threats', () => {
  it('ranks open threats by severity x observed recurrence, plus age', async () => {
    const res = await get(ctx.app, `/v1/reports/threats?${q}`, data.org.governance.token);
    expect(res.status, res.raw).toBe(200);
    // Window 28 days: one raising -> r = 1 (occasional, 3); two -> 2 (occasional, 3). Ages under 91 days -> 0.
    const expected = [
      // a3: consequence 4 -> severity 3; raised once -> 3; 9 >= 8 proceeds
      {
        threadId: data.items.a3,
        consequence: 4,
        severity: 3,
        probability: 3,
        hazardScore: 9,
        ageBonus: 0,
        rankScore: 9,
        proceedToAction: true,
        raisingsInWindow: 1,
        timesRaised: 1,
        ageDays: 26,
      },
      // T1 (p1, a5, a8): consequence 3 -> 2; two raisings in the window -> 3
      {
        threadId: data.items.p1,
        consequence: 3,
        severity: 2,
        probability: 3,
        hazardScore: 6,
        ageBonus: 0,
        rankScore: 6,
        proceedToAction: false,
        raisingsInWindow: 2,
        timesRaised: 3,
        ageDays: 48,
      },
      // rank 3 ties broken by age: T2 (47 days), a6 (19), a11 (10)
      {
        threadId: data.items.p4,
        consequence: 2,
        severity: 1,
        probability: 3,
        hazardScore: 3,
        rankScore: 3,
        raisingsInWindow: 2,
        timesRaised: 3,
        ageDays: 47,
      },
      {
        threadId: data.items.a6,
        consequence: 2,
        severity: 1,
        probability: 3,
        hazardScore: 3,
        rankScore: 3,
        raisingsInWindow: 1,
        timesRaised: 1,
        ageDays: 19,
      },
      {
        threadId: data.items.a11,
        consequence: 2,
        severity: 1,
        probability: 3,
        hazardScore: 3,
        rankScore: 3,
        raisingsInWindow: 1,
        timesRaised: 1,
        ageDays: 10,
      },
    ];
    expect(res.body.total).toBe(5);
    expect(res.body.threats).toHaveLength(5);
    res.body.threats.forEach((threat: Record<string, unknown>, index: number) => {
      expect(threat).toMatchObject({ rank: index + 1, ...expected[index] });
    });
    expect(res.body.threats[1]).toMatchObject({
      latestItemId: data.items.a8,
      ward: { code: 'W1' },
      firstRaisedOn: '2025-05-12',
      lastRaisedOn: '2025-06-16',
      maxRiskScore: 6,
    });
    const limited = await get(ctx.app, `/v1/reports/threats?${q}&limit=2`, data.org.governance.token);
    expect(limited.body.threats.map((t: { threadId: string }) => t.threadId)).toEqual([data.items.a3, data.items.p1]);
    expect(limited.body.total).toBe(5);
  });

  it('measures recurrence over the window asked for', async () => {
    // A one-year window ending on the same day: T1's two raisings are 2 x 28 / 365 per 28 days (< 1/4) -> remote;
    // a3 raised once -> remote too. Age is counted to the same as-at date.
    const res = await get(ctx.app, '/v1/reports/threats?from=2024-06-30&to=2025-06-29', data.org.governance.token);
    expect(res.status, res.raw).toBe(200);
    const t1 = res.body.threats.find((t: { threadId: string }) => t.threadId === data.items.p1);
    // three raisings inside a year: 3 x 28 x 4 = 336 < 365 -> remote (1)
    expect(t1).toMatchObject({ raisingsInWindow: 3, probability: 1, severity: 2, hazardScore: 2 });
    const a3 = res.body.threats.find((t: { threadId: string }) => t.threadId === data.items.a3);
    expect(a3).toMatchObject({ probability: 1, hazardScore: 3, proceedToAction: false });
  });

  it('is refused to ward staff and scoped for a middle manager', async () => {
    expectProblem(await get(ctx.app, `/v1/reports/threats?${q}`, data.org.clinician.token), 403);
    const mine = await get(ctx.app, `/v1/reports/threats?${q}`, data.org.middleManager.token);
    expect(mine.body.threats.map((t: { ward: { code: string } }) => t.ward.code)).toEqual(['W1', 'W1', 'W1', 'W1']);
  });
});
