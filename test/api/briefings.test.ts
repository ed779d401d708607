import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { briefingBody, createOrganisation, get, newKey, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ctx = await createTestContext();
  org = await createOrganisation(ctx.app);
});
afterAll(() => ctx?.close());

describe('recording a briefing', () => {
  it('stores the briefing and grades each item on the 5x5 matrix', async () => {
    const ward = org.wards[0]!;
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.items).toHaveLength(2);
    expect(res.body.items[0]).toMatchObject({ kind: 'problem', riskScore: 12, riskBand: 'high', status: 'open' });
    expect(res.body.items[1]).toMatchObject({ kind: 'good_practice', riskScore: null, riskBand: null, status: 'resolved' });

    const read = await get(ctx.app, `/v1/briefings/${res.body.id}`, org.clinician.token);
    expect(read.status).toBe(200);
    expect(read.body.items.map((i: { id: string }) => i.id)).toEqual(res.body.items.map((i: { id: string }) => i.id));
  });
});
