/**
 * A change to a priority's title or description is in the audit trail like every other change,
 * referenced (that it changed, and its length), never copied: the trail is append-only.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { patch, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
});
afterAll(() => ctx?.close());

it('records that the title and description changed, without their text', async () => {
  const created = await post(ctx.app, '/v1/priorities', org.adminToken, {
    title: 'Fewer falls',
    description: 'Falls on the wards at night',
    level: 'organisation',
    ownerStaffId: org.seniorManager.id,
  });
  expect(created.status, created.raw).toBe(201);
  const id: string = created.body.id;
  const renamed = await patch(ctx.app, `/v1/priorities/${id}`, org.adminToken, {
    title: 'Fewer falls at night',
    description: 'Unwitnessed falls between 22:00 and 06:00',
  });
  expect(renamed.status, renamed.raw).toBe(200);
  const retired = await patch(ctx.app, `/v1/priorities/${id}`, org.adminToken, { active: false });
  expect(retired.status, retired.raw).toBe(200);

  const trail = await ctx.database.db
    .select({ action: auditEvents.action, changes: auditEvents.changes })
    .from(auditEvents)
    .where(and(eq(auditEvents.entityType, 'priority'), eq(auditEvents.entityId, id)))
    .orderBy(asc(auditEvents.id));
  expect(trail.map((event) => event.action)).toEqual(['created', 'changed', 'changed']);
  expect(trail[1]!.changes).toEqual({
    title: { from: { text: 'redacted', length: 11 }, to: { text: 'redacted', length: 20 } },
    description: { from: { text: 'redacted', length: 27 }, to: { text: 'redacted', length: 41 } },
  });
  expect(trail[2]!.changes).toEqual({ active: { from: true, to: false } });
  expect(JSON.stringify(trail)).not.toMatch(/falls|Unwitnessed/i);
});
