import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDateOf } from '../../src/domain/calendar.js';
import { and, eq } from 'drizzle-orm';
import { auditEvents, itemPriorities, notifications, priorities, seniorDecisions } from '../../src/db/schema.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { raiseHighRiskItem } from '../helpers/escalation.js';
import { briefingBody, expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';

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

interface QueueEntry {
  itemId: string;
  threadId: string;
  alignment: string;
  riskBand: string | null;
  reasons: string[];
}

const queue = async (token = org.seniorManager.token) => {
  const res = await get<{ data: QueueEntry[] }>(ctx.app, '/v1/senior-review?limit=200', token);
  expect(res.status, res.raw).toBe(200);
  return res.body.data;
};

const decide = (itemId: string, body: Record<string, unknown>, token = org.seniorManager.token) =>
  post(ctx.app, `/v1/items/${itemId}/senior-decision`, token, body);

/** A high-risk item the team wants changed and the middle manager does not (clinical_only). */
async function disagreement() {
  const item = await raiseHighRiskItem(ctx, org, { needsChange: true });
  const id: string = item.escalation.id;
  const m = org.middleManager.token;
  expect((await post(ctx.app, `/v1/escalations/${id}/acknowledge`, m, {})).status).toBe(200);
  const stance = await post(ctx.app, `/v1/escalations/${id}/position`, m, {
    stance: 'disagree',
    rationale: 'Not a priority this quarter',
  });
  expect(stance.status, stance.raw).toBe(200);
  return { itemId: item.id as string, escalationId: id };
}

describe('the senior review queue', () => {
  it('lists an open high-risk issue where the team and the manager disagree, with why', async () => {
    const { itemId } = await disagreement();
    const entry = (await queue()).find((e) => e.itemId === itemId);
    expect(entry).toMatchObject({ threadId: itemId, alignment: 'clinical_only', riskBand: 'high' });
    expect(entry!.reasons).toContain('high_risk_disagreement');
  });

  it('lists a persistent thread (open longer than the threshold) whatever its risk and alignment', async () => {
    // Briefing dates of the tests lie years back, so the issue has been open far longer than 14 days.
    const item = await raiseHighRiskItem(ctx, org, { consequence: 1, likelihood: 2, needsChange: false });
    expect(item.escalation).toBeNull();
    const entry = (await queue()).find((e) => e.itemId === item.id);
    expect(entry).toMatchObject({ riskBand: 'low', reasons: ['persistent'] });
  });

  it('leaves out an issue raised today that is neither persistent nor disputed', async () => {
    const today = localDateOf(new Date());
    const ward = org.wards[1]!;
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      ...briefingBody(ward.id, { date: today }),
      items: [
        {
          kind: 'problem',
          category: 'communication',
          description: 'Handover sheet misprinted',
          consequence: 1,
          likelihood: 2,
        },
      ],
    });
    expect(res.status, res.raw).toBe(201);
    const itemId: string = res.body.items[0].id;
    expect((await queue()).map((e) => e.itemId)).not.toContain(itemId);
  });

  it('is for senior managers only, and shows only their organisation', async () => {
    const { itemId } = await disagreement();
    for (const token of [org.middleManager.token, org.clinician.token, org.governance.token]) {
      expectProblem(await get(ctx.app, '/v1/senior-review', token), 403);
    }
    expect((await queue(other.seniorManager.token)).map((e) => e.itemId)).not.toContain(itemId);
  });
});

describe('a senior decision', () => {
  it('sends the issue back to the middle manager with a reason: told, on the timeline, audited, off the queue', async () => {
    const { itemId, escalationId } = await disagreement();
    const res = await decide(itemId, { decision: 'send_back', reason: 'Talk to the ward team before deciding' });
    expect(res.status, res.raw).toBe(201);
    expect(res.body).toMatchObject({ decision: 'send_back', itemId, sentBackTo: org.middleManager.id });
    expect((await queue()).map((e) => e.itemId)).not.toContain(itemId);
    const told = await get(ctx.app, '/v1/notifications', org.middleManager.token);
    expect(told.body.data).toContainEqual(expect.objectContaining({ type: 'sent_back', escalationId }));
    const timeline = await get(ctx.app, `/v1/items/${itemId}/timeline`, org.seniorManager.token);
    expect(timeline.status, timeline.raw).toBe(200);
    const entry = timeline.body.data.find((e: { action: string }) => e.action === 'senior_decision');
    expect(entry).toMatchObject({ actor: { role: 'senior_manager' }, changes: { decision: 'send_back' } });
    expect(JSON.stringify(entry.changes)).not.toContain('Talk to the ward');
  });

  it('sends the issue back to the manager who holds the escalation now, once it has climbed', async () => {
    const { itemId, escalationId } = await disagreement();
    const climbed = await post(ctx.app, `/v1/escalations/${escalationId}/escalate`, org.middleManager.token, {
      reason: 'Needs a budget decision',
    });
    expect(climbed.status, climbed.raw).toBe(200);
    const res = await decide(itemId, { decision: 'send_back', reason: 'Decide this with the ward first' });
    expect(res.status, res.raw).toBe(201);
    expect(res.body).toMatchObject({ decision: 'send_back', sentBackTo: org.seniorManager.id });
    const sent = await ctx.database.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.escalationId, escalationId), eq(notifications.type, 'sent_back')));
    expect(sent.map((n) => n.recipientStaffId)).toEqual([org.seniorManager.id]);
  });

  it('adopts the issue as a QI target: linked to an existing priority, or to a new one', async () => {
    const existing = await post(ctx.app, '/v1/priorities', org.adminToken, {
      title: 'Reliable infusion pumps',
      level: 'organisation',
      ownerStaffId: org.seniorManager.id,
    });
    expect(existing.status, existing.raw).toBe(201);
    const first = await disagreement();
    const adopted = await decide(first.itemId, { decision: 'adopt_as_qi_target', priorityId: existing.body.id });
    expect(adopted.status, adopted.raw).toBe(201);
    expect(adopted.body.priorityId).toBe(existing.body.id);
    const second = await disagreement();
    const created = await decide(second.itemId, {
      decision: 'adopt_as_qi_target',
      title: 'Pump replacement programme',
    });
    expect(created.status, created.raw).toBe(201);
    const [priority] = await ctx.database.db
      .select()
      .from(priorities)
      .where(eq(priorities.id, created.body.priorityId));
    expect(priority).toMatchObject({ title: 'Pump replacement programme', ownerStaffId: org.seniorManager.id });
    for (const [itemId, priorityId] of [
      [first.itemId, existing.body.id],
      [second.itemId, created.body.priorityId],
    ]) {
      const links = await ctx.database.db.select().from(itemPriorities).where(eq(itemPriorities.itemId, itemId));
      expect(links.map((l) => l.priorityId)).toEqual([priorityId]);
    }
    const queued = (await queue()).map((e) => e.itemId);
    expect(queued).not.toContain(first.itemId);
    expect(queued).not.toContain(second.itemId);
  });

  it('accepts the risk until a review date; a review date that has come brings it back', async () => {
    const later = await disagreement();
    const accepted = await decide(later.itemId, {
      decision: 'accept_risk',
      reason: 'Tolerable',
      reviewDate: '2099-01-01',
    });
    expect(accepted.status, accepted.raw).toBe(201);
    expect(accepted.body).toMatchObject({ decision: 'accept_risk', reviewDate: '2099-01-01', reason: 'Tolerable' });
    expect((await queue()).map((e) => e.itemId)).not.toContain(later.itemId);
    const due = await disagreement();
    expect(
      (await decide(due.itemId, { decision: 'accept_risk', reason: 'Tolerable', reviewDate: '2020-01-01' })).status,
    ).toBe(201);
    expect((await queue()).map((e) => e.itemId)).toContain(due.itemId);
  });

  it('refuses a decision without its reason, an unknown decision, or both priority and title, writing nothing', async () => {
    const { itemId } = await disagreement();
    expectProblem(await decide(itemId, { decision: 'send_back' }), 400);
    expectProblem(await decide(itemId, { decision: 'accept_risk', reviewDate: '2099-01-01' }), 400);
    expectProblem(await decide(itemId, { decision: 'accept_risk', reason: 'Fine' }), 400);
    expectProblem(await decide(itemId, { decision: 'ignore', reason: 'No' }), 400);
    expectProblem(await decide(itemId, { decision: 'adopt_as_qi_target' }), 400);
    expectProblem(await decide(itemId, { decision: 'adopt_as_qi_target', title: 'A', priorityId: itemId }), 400);
    expect(await ctx.database.db.select().from(seniorDecisions).where(eq(seniorDecisions.itemId, itemId))).toEqual([]);
    expect((await queue()).map((e) => e.itemId)).toContain(itemId);
  });

  it("answers 403 to a middle manager, 404 to another organisation's senior manager and for another's priority", async () => {
    const { itemId } = await disagreement();
    const body = { decision: 'send_back', reason: 'Back to you' };
    expectProblem(await decide(itemId, body, org.middleManager.token), 403);
    expectProblem(await decide(itemId, body, other.seniorManager.token), 404);
    const theirs = await post(ctx.app, '/v1/priorities', other.adminToken, {
      title: 'Their priority',
      level: 'organisation',
      ownerStaffId: other.seniorManager.id,
    });
    expect(theirs.status, theirs.raw).toBe(201);
    expectProblem(await decide(itemId, { decision: 'adopt_as_qi_target', priorityId: theirs.body.id }), 404);
    const audits = await ctx.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, itemId), eq(auditEvents.action, 'senior_decision')));
    expect(audits).toEqual([]);
  });
});
