/**
 * An escalation merged into its thread's escalation (what the upgrade that joined repeats into
 * threads left for the duplicates) is counted nowhere in the reports, and is not exported either:
 * the FHIR export holds the thread's escalation once, not a duplicate Task "completed".
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { newHighRiskProblem } from '../helpers/escalation.js';
import { get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
beforeAll(async () => {
  ({ ctx, org } = await startApiTest({ policy: (o) => ({ levels: [{ staffId: o.middleManager.id }] }) }));
});
afterAll(() => ctx?.close());

interface Resource {
  resourceType: string;
  status?: string;
  identifier?: { value: string }[];
}

it('leaves a merged duplicate escalation out of the FHIR export, and keeps the one it was merged into', async () => {
  const ward = org.wards[0]!;
  const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
    wardId: ward.id,
    date: '2025-06-03',
    items: [newHighRiskProblem(), newHighRiskProblem()],
  });
  expect(res.status, res.raw).toBe(201);
  const [kept, duplicate] = res.body.items.map((item: { escalation: { id: string } }) => item.escalation.id);
  await ctx.database.db.execute(
    sql`UPDATE escalations SET state = 'resolved', outcome = 'merged', resolved_at = now(), next_step_at = NULL WHERE id = ${duplicate}`,
  );
  const fhir = await get(
    ctx.app,
    `/v1/exports/fhir?from=2025-06-01&to=2025-06-30&wardId=${ward.id}`,
    org.governance.token,
  );
  expect(fhir.status, fhir.raw).toBe(200);
  const tasks = (JSON.parse(fhir.raw).entry as { resource: Resource }[])
    .map((entry) => entry.resource)
    .filter((resource) => resource.resourceType === 'Task');
  expect(tasks.map((task) => [task.identifier?.[0]?.value, task.status])).toEqual([[kept, 'requested']]);
});
