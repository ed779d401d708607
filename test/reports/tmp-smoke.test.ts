import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { putPolicy, raiseHighRiskItem } from '../helpers/escalation.js';
import { createOrganisation, get, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
beforeAll(async () => {
  ctx = await createTestContext();
  org = await createOrganisation(ctx.app);
  await putPolicy(ctx, org, org.wards[0]!.id, { levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }] });
  for (let i = 0; i < 3; i++) await raiseHighRiskItem(ctx, org, { description: `Thing ${i} broken again and again ${'xyz'.repeat(i)}` });
});
afterAll(() => ctx?.close());

it('smoke', async () => {
  for (const url of [
    '/v1/reports/governance?from=2026-01-01&to=2026-03-31',
    '/v1/reports/governance?from=2026-01-01&to=2026-03-31&format=csv',
    '/v1/reports/governance?from=2026-01-01&to=2026-03-31&format=html',
    '/v1/reports/alignment?from=2026-01-01&to=2026-03-31',
    '/v1/reports/spc?metric=items_raised&from=2026-01-01&to=2026-03-31',
    '/v1/reports/spc?metric=ack_within_deadline&from=2026-01-01&to=2026-03-31',
    '/v1/reports/spc?metric=days_to_resolution&from=2026-01-01&to=2026-03-31',
    '/v1/reports/threats?from=2026-01-01&to=2026-03-31',
    '/v1/exports/fhir?from=2026-01-01&to=2026-03-31',
  ]) {
    const res = await get(ctx.app, url, org.governance.token);
    console.log(url, res.status, res.headers['content-type'], res.raw.slice(0, 1500));
    expect(res.status).toBe(200);
  }
});
