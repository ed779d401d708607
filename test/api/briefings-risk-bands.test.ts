/** An organisation's own risk band cut-offs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { ItemAnswer as Item } from '../helpers/fixtures.js';
import { createOrganisation, expectProblem, get, patch, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
});
afterAll(() => ctx?.close());

describe('organisation risk bands', () => {
  it('grades newly recorded items with the organisation cut-offs and leaves earlier items as graded', async () => {
    const trust = await createOrganisation(ctx.app);
    const ward = trust.wards[0]!;
    const risk = (description: string) => ({
      kind: 'risk',
      category: 'staffing',
      description,
      consequence: 3,
      likelihood: 4,
    });

    const before = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: '2026-11-12',
      items: [risk('Before')],
    });
    expect(before.body.items[0]).toMatchObject({ riskScore: 12, riskBand: 'high' });

    const settings = await patch(ctx.app, '/v1/organisation/settings', trust.adminToken, {
      riskBands: { moderate: 3, high: 6, extreme: 12 },
    });
    expect(settings.status, settings.raw).toBe(200);
    expect(settings.body.settings.riskBands).toEqual({ moderate: 3, high: 6, extreme: 12 });

    const after = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: '2026-11-13',
      items: [
        risk('After'),
        { ...risk('Low'), consequence: 1, likelihood: 2 },
        { ...risk('Moderate'), consequence: 1, likelihood: 3 },
      ],
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
    const bad = await patch(ctx.app, '/v1/organisation/settings', org.adminToken, {
      riskBands: { moderate: 8, high: 8, extreme: 15 },
    });
    const problem = expectProblem(bad, 400);
    expect(problem.errors).toContainEqual({ path: 'body.riskBands', message: expect.any(String) });
    expectProblem(
      await patch(ctx.app, '/v1/organisation/settings', org.seniorManager.token, { identifierPolicy: 'redact' }),
      403,
    );
    const current = await get(ctx.app, '/v1/organisation', org.governance.token);
    expect(current.body.settings).toMatchObject({
      riskBands: { moderate: 4, high: 8, extreme: 15 },
      identifierPolicy: 'reject',
    });
  });
});
