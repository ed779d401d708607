import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, desc, eq } from 'drizzle-orm';
import { auditEvents, escalations, positionChanges } from '../../src/db/schema.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { raiseHighRiskItem } from '../helpers/escalation.js';
import { expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({
    organisations: 2,
    policy: (org) => ({ levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

const position = (id: string, body: Record<string, unknown>, token = org.middleManager.token) =>
  post(ctx.app, `/v1/escalations/${id}/position`, token, body);

/** A fresh escalation the middle manager has acknowledged, so a position may be recorded. */
async function acknowledged() {
  const item = await raiseHighRiskItem(ctx, org);
  const id: string = item.escalation.id;
  const ack = await post(ctx.app, `/v1/escalations/${id}/acknowledge`, org.middleManager.token, {});
  expect(ack.status, ack.raw).toBe(200);
  return { id, itemId: item.id as string };
}

async function positionRows(itemId: string) {
  return ctx.database.db
    .select()
    .from(positionChanges)
    .where(and(eq(positionChanges.itemId, itemId), eq(positionChanges.side, 'managerial')))
    .orderBy(desc(positionChanges.id));
}

describe("a manager's barriers", () => {
  it('are kept with the position, shown on the escalation, in its history and in the alignment history', async () => {
    const { id, itemId } = await acknowledged();
    const res = await position(id, {
      stance: 'disagree',
      rationale: 'Cannot replace the pumps this quarter',
      barriers: ['funding', 'equipment_supply', 'funding'],
      barrierNote: 'Capital bid refused; supplier lead time is twelve weeks',
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.managerPosition).toMatchObject({
      stance: 'disagree',
      barriers: ['funding', 'equipment_supply'],
      barrierNote: 'Capital bid refused; supplier lead time is twelve weeks',
    });
    const shown = await get(ctx.app, `/v1/escalations/${id}`, org.seniorManager.token);
    expect(shown.status).toBe(200);
    expect(shown.body.managerPosition.barriers).toEqual(['funding', 'equipment_supply']);
    expect(shown.body.history.at(-1)).toMatchObject({
      type: 'position',
      details: { stance: 'disagree', barriers: ['funding', 'equipment_supply'] },
    });
    const [row] = await positionRows(itemId);
    expect(row).toMatchObject({
      stance: 'disagree',
      barriers: ['funding', 'equipment_supply'],
      barrierNote: 'Capital bid refused; supplier lead time is twelve weeks',
    });
    const audits = await ctx.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, id), eq(auditEvents.action, 'position')));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.changes).toMatchObject({ barriers: ['funding', 'equipment_supply'] });
    expect(JSON.stringify(audits[0]!.changes)).not.toContain('Capital bid');
  });

  it('are optional: a position without them has none, and a later position replaces them', async () => {
    const { id, itemId } = await acknowledged();
    const first = await position(id, {
      stance: 'needs_information',
      rationale: 'Which pumps?',
      barriers: ['it_systems'],
    });
    expect(first.body.managerPosition).toMatchObject({ barriers: ['it_systems'], barrierNote: null });
    const second = await position(id, { stance: 'agree', rationale: 'Seen the list' });
    expect(second.status, second.raw).toBe(200);
    expect(second.body.managerPosition).toMatchObject({ stance: 'agree', barriers: [], barrierNote: null });
    const rows = await positionRows(itemId);
    expect(rows.map((r) => r.barriers)).toEqual([[], ['it_systems']]);
  });

  it("take the programme's codes, among them the manager's own time and doubt that the change repays its cost", async () => {
    const { id } = await acknowledged();
    const res = await position(id, {
      stance: 'disagree',
      rationale: 'No protected time this quarter, and unconvinced it would help',
      barriers: ['time', 'doubt_benefit', 'other_department', 'policy_regulation'],
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.managerPosition.barriers).toEqual([
      'time',
      'doubt_benefit',
      'other_department',
      'policy_regulation',
    ]);
    // The codes before the reference list's are refused like any other unknown code.
    expectProblem(await position(id, { stance: 'disagree', rationale: 'No', barriers: ['another_department'] }), 400);
  });

  it("reach the ward: its item shows them with the manager's stance and rationale", async () => {
    const { id, itemId } = await acknowledged();
    const res = await position(id, {
      stance: 'disagree',
      rationale: 'Not this year',
      barriers: ['funding', 'estates'],
      barrierNote: 'The bay needs rewiring first',
    });
    expect(res.status, res.raw).toBe(200);
    const item = await get(ctx.app, `/v1/items/${itemId}`, org.wards[0]!.deviceToken);
    expect(item.status, item.raw).toBe(200);
    expect(item.body.escalation.managerPosition).toEqual({
      stance: 'disagree',
      rationale: 'Not this year',
      barriers: ['funding', 'estates'],
      barrierNote: 'The bay needs rewiring first',
      at: expect.any(String),
    });
  });

  it('refuses a barrier outside the list, and writes nothing', async () => {
    const { id, itemId } = await acknowledged();
    const res = await position(id, { stance: 'disagree', rationale: 'No', barriers: ['weather'] });
    expectProblem(res, 400);
    const [row] = await ctx.database.db.select().from(escalations).where(eq(escalations.id, id));
    expect(row).toMatchObject({ stance: null, stanceBarriers: [] });
    expect(await positionRows(itemId)).toEqual([]);
  });

  it('refuses an empty note and an identifier in the note, naming the field, and writes nothing', async () => {
    const { id, itemId } = await acknowledged();
    expectProblem(await position(id, { stance: 'disagree', rationale: 'No', barrierNote: '  ' }), 400);
    const res = await position(id, {
      stance: 'disagree',
      rationale: 'No',
      barriers: ['other'],
      barrierNote: 'Bed manager said patient 943 476 5919 is waiting',
    });
    const problem = expectProblem(res, 422);
    expect(problem.errors).toEqual([{ path: 'body.barrierNote', message: 'contains what looks like an NHS number' }]);
    expect(res.raw).not.toContain('943 476 5919');
    expect(await positionRows(itemId)).toEqual([]);
  });

  it("answers 404 to another organisation's manager", async () => {
    const { id, itemId } = await acknowledged();
    const res = await position(
      id,
      { stance: 'agree', rationale: 'Yes', barriers: ['funding'] },
      other.middleManager.token,
    );
    expectProblem(res, 404);
    expect(await positionRows(itemId)).toEqual([]);
  });
});
