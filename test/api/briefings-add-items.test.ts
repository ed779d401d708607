import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, items } from '../../src/db/schema.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { eventsOf, nextDate } from '../helpers/escalation.js';
import { briefingBody, expectProblem, get, newKey, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({
    organisations: 2,
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

const remembered = {
  kind: 'risk',
  category: 'staffing',
  description: 'No second checker for controlled drugs on the night shift',
  consequence: 4,
  likelihood: 4,
  needsChange: true,
};
const minor = {
  kind: 'problem',
  category: 'estates_environment',
  description: 'Sluice door sticks',
  consequence: 1,
  likelihood: 2,
};

async function recordBriefing(wardIndex = 0, overrides: Record<string, unknown> = {}) {
  const ward = org.wards[wardIndex]!;
  const res = await post(
    ctx.app,
    '/v1/briefings',
    ward.deviceToken,
    briefingBody(ward.id, { date: nextDate(), ...overrides }),
  );
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

describe('adding items to a recorded briefing', () => {
  it('grades, places and escalates them as at the briefing, and audits the addition', async () => {
    const briefing = await recordBriefing();
    const res = await post(ctx.app, `/v1/briefings/${briefing.id}/items`, org.clinician.token, {
      items: [remembered, minor],
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body).toMatchObject({ briefingId: briefing.id, redactions: [], unroutedItemIds: [] });
    const [risk, problem] = res.body.items;
    expect(risk).toMatchObject({
      briefingId: briefing.id,
      raisedOn: briefing.date,
      riskScore: 16,
      riskBand: 'extreme',
      status: 'open',
      alignment: { state: 'pending' },
      escalation: { state: 'open', level: 1, assignee: { id: org.middleManager.id } },
    });
    expect(problem).toMatchObject({ riskBand: 'low', escalation: null });
    expect((await eventsOf(ctx, risk.escalation.id)).map((e) => e.type)).toEqual(['started']);

    const read = await get(ctx.app, `/v1/briefings/${briefing.id}`, org.adminToken);
    expect(read.body.items.map((i: { id: string }) => i.id)).toEqual([
      ...briefing.items.map((i: { id: string }) => i.id),
      risk.id,
      problem.id,
    ]);
    const stored = await ctx.database.db.select().from(items).where(eq(items.briefingId, briefing.id));
    expect(stored.map((i) => i.position).sort()).toEqual([0, 1, 2, 3]);
    const audit = await ctx.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, briefing.id), eq(auditEvents.action, 'items_added')));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.changes).toEqual({ items: 2, itemIds: [risk.id, problem.id] });
  });

  it('finds repeats of open items of the ward, as at the briefing', async () => {
    const hoist = { ...minor, category: 'equipment', description: 'Ceiling hoist in bay 4 out of service' };
    const earlier = await recordBriefing(0, { items: [hoist] });
    const briefing = await recordBriefing();
    const res = await post(ctx.app, `/v1/briefings/${briefing.id}/items`, org.wards[0]!.deviceToken, {
      items: [{ ...hoist, description: 'Ceiling hoist in bay 4 still out of service' }],
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.items[0].recurrence).toMatchObject({ recurrenceOf: earlier.items[0].id, source: 'detected' });
  });

  it('leaves what qualifies unrouted on a ward without a policy', async () => {
    const briefing = await recordBriefing(1);
    const res = await post(ctx.app, `/v1/briefings/${briefing.id}/items`, org.wards[1]!.deviceToken, {
      items: [remembered],
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.unroutedItemIds).toEqual([res.body.items[0].id]);
    expect(res.body.items[0].escalation).toBeNull();
  });

  it('applies a keyed addition once: a retry replays the answer, another body with the key is refused', async () => {
    const briefing = await recordBriefing();
    const key = newKey();
    const url = `/v1/briefings/${briefing.id}/items`;
    const first = await post(ctx.app, url, org.clinician.token, { items: [remembered] }, { 'idempotency-key': key });
    expect(first.status, first.raw).toBe(201);
    const again = await post(ctx.app, url, org.clinician.token, { items: [remembered] }, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const stored = await ctx.database.db.select().from(items).where(eq(items.briefingId, briefing.id));
    expect(stored).toHaveLength(briefing.items.length + 1);
    expectProblem(await post(ctx.app, url, org.clinician.token, { items: [minor] }, { 'idempotency-key': key }), 422);
  });

  it('refuses identifiers, ungraded problems, other wards and organisations, managers, and a briefing not held', async () => {
    const briefing = await recordBriefing();
    const url = `/v1/briefings/${briefing.id}/items`;
    const identifier = expectProblem(
      await post(ctx.app, url, org.clinician.token, {
        items: [minor, { ...remembered, description: 'Missed check for patient 943 476 5919' }],
      }),
      422,
    );
    expect(identifier.errors).toEqual([
      { path: 'body.items.1.description', message: 'contains what looks like an NHS number' },
    ]);
    expectProblem(
      await post(ctx.app, url, org.clinician.token, { items: [{ ...minor, consequence: undefined }] }),
      400,
    );
    expectProblem(await post(ctx.app, url, org.clinician.token, { items: [] }), 400);
    expectProblem(await post(ctx.app, url, org.wards[1]!.deviceToken, { items: [minor] }), 404);
    expectProblem(await post(ctx.app, url, other.wards[0]!.deviceToken, { items: [minor] }), 404);
    expectProblem(await post(ctx.app, url, org.middleManager.token, { items: [minor] }), 403);
    expectProblem(await post(ctx.app, url, org.adminToken, { items: [minor] }), 403);
    const stored = await ctx.database.db.select().from(items).where(eq(items.briefingId, briefing.id));
    expect(stored).toHaveLength(briefing.items.length);

    const notHeld = await recordBriefing(0, { held: false, notHeldReason: 'Ward too busy', items: [] });
    expectProblem(
      await post(ctx.app, `/v1/briefings/${notHeld.id}/items`, org.clinician.token, { items: [minor] }),
      409,
    );
  });
  it('refuses items past a thousand in one briefing, writing none of them', async () => {
    const goodPractice = (round: number) =>
      Array.from({ length: 100 }, (_, i) => ({
        kind: 'good_practice',
        category: 'communication',
        description: `Handover checklist used, round ${round} entry ${i}`,
      }));
    const briefing = await recordBriefing(0, { items: goodPractice(0) });
    const url = `/v1/briefings/${briefing.id}/items`;
    for (let round = 1; round < 10; round++) {
      const added = await post(ctx.app, url, org.clinician.token, { items: goodPractice(round) });
      expect(added.status, added.raw).toBe(201);
    }
    const full = expectProblem(await post(ctx.app, url, org.clinician.token, { items: [minor] }), 409);
    expect(full).toMatchObject({ detail: 'A briefing holds at most 1000 items; this one holds 1000', itemCount: 1000 });
    const stored = await ctx.database.db.select({ id: items.id }).from(items).where(eq(items.briefingId, briefing.id));
    expect(stored).toHaveLength(1000);
  }, 60_000);

  it("takes no new items once the briefing's ward is closed, as it takes no new briefings", async () => {
    // Closing the ward revokes its tablets' tokens; its clinicians keep theirs.
    const ward = org.wards[0]!;
    const briefing = await recordBriefing(0);
    const closed = await post(ctx.app, `/v1/wards/${ward.id}/close`, org.adminToken, { reason: 'Merged into ward 2' });
    expect(closed.status, closed.raw).toBe(200);
    const refused = expectProblem(
      await post(ctx.app, `/v1/briefings/${briefing.id}/items`, org.clinician.token, { items: [remembered] }),
      409,
    );
    expect(refused).toMatchObject({ detail: 'The ward is closed and takes no new items', wardId: ward.id });
    const stored = await ctx.database.db.select({ id: items.id }).from(items).where(eq(items.briefingId, briefing.id));
    expect(stored).toHaveLength(briefing.items.length);
  });
});
