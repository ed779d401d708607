import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { briefingBody, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({
    policy: (org) => ({
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { moderate: 1 },
    }),
  }));
});
afterAll(() => ctx?.close());

const item = (description: string, extra: Record<string, unknown> = {}) => ({
  kind: 'problem',
  category: 'equipment',
  description,
  consequence: 4,
  likelihood: 3,
  needsChange: true,
  ...extra,
});

describe("the ward's briefing pack", () => {
  it('shows what changed between one briefing and the next', async () => {
    const ward = org.wards[0]!;
    const today = localDateOf(new Date());
    const yesterday = addDays(today, -1);
    const first = await post(
      ctx.app,
      '/v1/briefings',
      ward.deviceToken,
      briefingBody(ward.id, {
        date: yesterday,
        items: [
          item('Sling scales out of calibration'),
          item('Suction unit missing from bay 4 wall'),
          item('Drug fridge temperature log not kept', { category: 'medication', consequence: 2, likelihood: 3 }),
        ],
      }),
    );
    expect(first.status).toBe(201);
    const [scales, suction, fridge] = first.body.items;
    const priority = await post(ctx.app, '/v1/priorities', org.adminToken, {
      title: 'Safer equipment',
      level: 'ward',
      wardId: ward.id,
      ownerStaffId: org.seniorManager.id,
    });
    await post(ctx.app, `/v1/items/${suction.id}/priorities`, ward.deviceToken, { priorityId: priority.body.id });

    // The manager answers one, resolves another; the third (moderate, 1 s deadline) goes overdue.
    const m = org.middleManager.token;
    await post(ctx.app, `/v1/escalations/${scales.escalation.id}/acknowledge`, m, {});
    await post(ctx.app, `/v1/escalations/${scales.escalation.id}/position`, m, {
      stance: 'agree',
      rationale: 'Booked with medical physics',
    });
    await post(ctx.app, `/v1/escalations/${scales.escalation.id}/actions`, m, {
      description: 'Calibration visit',
      dueDate: '2026-12-20',
    });
    await post(ctx.app, `/v1/escalations/${suction.escalation.id}/acknowledge`, m, {});
    await post(ctx.app, `/v1/escalations/${suction.escalation.id}/resolve`, m, {
      outcome: 'fixed',
      note: 'New suction unit fitted',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    const pack = await get(ctx.app, `/v1/wards/${ward.id}/briefing-pack?date=${today}`, ward.deviceToken);
    expect(pack.status, JSON.stringify(pack.body)).toBe(200);
    expect(pack.body.previousBriefing).toMatchObject({ id: first.body.id, date: yesterday });
    expect(pack.body.openItems.map((i: { id: string }) => i.id)).toEqual([scales.id, fridge.id]);
    expect(pack.body.openItems[0].escalation).toMatchObject({
      managerPosition: { stance: 'agree', rationale: 'Booked with medical physics' },
      plannedActions: [{ description: 'Calibration visit', dueDate: '2026-12-20' }],
    });
    expect(pack.body.resolvedSincePreviousBriefing).toHaveLength(1);
    expect(pack.body.resolvedSincePreviousBriefing[0]).toMatchObject({
      id: suction.id,
      resolution: { note: 'New suction unit fitted' },
      escalation: { outcome: 'fixed' },
    });
    expect(pack.body.overdueEscalations.map((e: { itemId: string }) => e.itemId)).toEqual([fridge.id]);
    expect(pack.body.priorities).toEqual([
      { id: priority.body.id, title: 'Safer equipment', level: 'ward', active: true, items: 1, openItems: 0 },
    ]);

    const html = await ctx.app.inject({
      method: 'GET',
      url: `/v1/wards/${ward.id}/briefing-pack?date=${today}&format=html`,
      headers: { authorization: `Bearer ${ward.deviceToken}` },
    });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('New suction unit fitted');
    expect(html.body).toContain('Booked with medical physics');
    expect(html.body).not.toMatch(/<script|https?:\/\//);

    // Another ward's device sees nothing of it.
    expect((await get(ctx.app, `/v1/wards/${ward.id}/briefing-pack`, org.wards[1]!.deviceToken)).status).toBe(404);
  });
});
