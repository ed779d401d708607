import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, escalations, itemCorrections, items } from '../../src/db/schema.js';
import { jobIds } from '../../src/queue/queues.js';
import { runEscalationStep } from '../../src/escalations/timer.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { eventsOf, nextDate, notificationsOf, raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import { expectProblem, get, patch, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({
    organisations: 2,
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }, { staffId: o.seniorManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

const reason = 'Graded in a hurry at the huddle; corrected with the nurse in charge';

async function escalationRow(id: string) {
  const [row] = await ctx.database.db.select().from(escalations).where(eq(escalations.id, id));
  return row!;
}

describe('amending an item', () => {
  it('recomputes score and band, and a higher band brings the open deadline forward with a new timer', async () => {
    const item = await raiseHighRiskItem(ctx, org); // 4 x 3 = 12, high: acknowledge within 4 h
    const before = await escalationRow(item.escalation.id);
    const started = Date.now();
    const res = await patch(ctx.app, `/v1/items/${item.id}`, org.wards[0]!.deviceToken, { likelihood: 5, reason });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ riskScore: 20, riskBand: 'extreme', correction: { escalation: 'shorten' } });

    const after = await escalationRow(item.escalation.id);
    expect(after).toMatchObject({ band: 'extreme', state: 'open', step: before.step + 1 });
    // Extreme: acknowledge within an hour, from now, sooner than the 4 h it had.
    expect(after.dueAt.getTime()).toBeGreaterThanOrEqual(started + 3_600_000 - 1_000);
    expect(after.dueAt.getTime()).toBeLessThan(before.dueAt.getTime());
    expect(after.nextStepAt).toEqual(after.dueAt);
    // The new timer reaches the queue for the new step, due at the new deadline.
    const job = await waitFor(
      () => ctx.queues.get('escalation-steps').getJob(jobIds.escalationStep(after.id, after.step)),
      5_000,
      'the new timer job',
    );
    expect(job.data).toEqual({ escalationId: after.id, step: after.step });
    expect(job.timestamp + job.delay).toBeGreaterThanOrEqual(after.dueAt.getTime() - 1_000);
    expect(job.timestamp + job.delay).toBeLessThanOrEqual(after.dueAt.getTime() + 1_000);
    // The old timer finds itself stale; the new one is due at the new deadline.
    expect(
      await runEscalationStep({ db: ctx.database.db }, { escalationId: after.id, step: before.step }, before.dueAt),
    ).toBe('stale');
    const events = await eventsOf(ctx, after.id);
    expect(events.map((e) => e.type)).toEqual(['started', 'rebanded']);
    expect(events[1]!.details).toMatchObject({ band: { from: 'high', to: 'extreme' } });
    const notices = await notificationsOf(ctx, after.id);
    expect(notices.map((n) => [n.type, n.step, n.recipientStaffId])).toEqual([
      ['assigned', 1, org.middleManager.id],
      ['reminder', 2, org.middleManager.id],
    ]);
    expect(
      await runEscalationStep({ db: ctx.database.db }, { escalationId: after.id, step: after.step }, after.dueAt),
    ).toBe('climbed');
  });

  it('never lengthens a deadline: a lower band that still qualifies keeps it', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const before = await escalationRow(item.escalation.id);
    const res = await patch(ctx.app, `/v1/items/${item.id}`, org.clinician.token, { consequence: 2, reason });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ riskScore: 6, riskBand: 'moderate', correction: { escalation: 'rebanded' } });
    const after = await escalationRow(item.escalation.id);
    expect(after).toMatchObject({ band: 'moderate', step: before.step, dueAt: before.dueAt });
  });

  it("closes an unacknowledged escalation as downgraded when the band falls below the ward's minimum", async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const res = await patch(ctx.app, `/v1/items/${item.id}`, org.adminToken, { consequence: 1, likelihood: 2, reason });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      riskBand: 'low',
      status: 'open',
      correction: { escalation: 'close' },
      escalation: { state: 'resolved', outcome: 'downgraded' },
    });
    const after = await escalationRow(item.escalation.id);
    expect(after).toMatchObject({ state: 'resolved', outcome: 'downgraded', nextStepAt: null, step: 2 });
    expect((await eventsOf(ctx, after.id)).map((e) => e.type)).toEqual(['started', 'closed']);
    const notices = await notificationsOf(ctx, after.id);
    expect(notices.map((n) => [n.type, n.recipientStaffId])).toEqual([
      ['assigned', org.middleManager.id],
      ['closed', org.middleManager.id],
    ]);
    expect(await runEscalationStep({ db: ctx.database.db }, { escalationId: after.id, step: 1 }, after.dueAt)).toBe(
      'stale',
    );
    const inbox = await get(ctx.app, '/v1/inbox', org.middleManager.token);
    expect(inbox.body.data.map((e: { id: string }) => e.id)).not.toContain(after.id);
    const notified = await get(ctx.app, '/v1/notifications', org.middleManager.token);
    expect(notified.body.data.find((n: { escalationId: string }) => n.escalationId === after.id)).toMatchObject({
      type: 'closed',
    });
  });

  it('leaves an acknowledged escalation with its manager when the band falls below the minimum', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const ack = await post(ctx.app, `/v1/escalations/${item.escalation.id}/acknowledge`, org.middleManager.token, {});
    expect(ack.status).toBe(200);
    const res = await patch(ctx.app, `/v1/items/${item.id}`, org.clinician.token, {
      consequence: 1,
      likelihood: 1,
      reason,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.correction.escalation).toBe('rebanded');
    expect(await escalationRow(item.escalation.id)).toMatchObject({
      state: 'acknowledged',
      band: 'low',
      outcome: null,
    });
  });

  it('starts an escalation, as the briefing would, when an open item with none rises to the minimum', async () => {
    const item = await raiseHighRiskItem(ctx, org, { consequence: 1, likelihood: 2 });
    expect(item.escalation).toBeNull();
    const res = await patch(ctx.app, `/v1/items/${item.id}`, org.wards[0]!.deviceToken, { consequence: 4, reason });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      riskBand: 'high',
      correction: { escalation: 'start' },
      escalation: { state: 'open', level: 1, assignee: { id: org.middleManager.id } },
    });
    const events = await eventsOf(ctx, res.body.escalation.id);
    expect(events.map((e) => e.type)).toEqual(['started']);
  });

  it('changes kind, category, description and harm, records the correction with its reason, and audits it without the text', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const res = await patch(ctx.app, `/v1/items/${item.id}`, org.clinician.token, {
      kind: 'risk',
      category: 'staffing',
      description: 'Only one nurse trained on the new infusion pumps',
      harm: 'low',
      reason,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      kind: 'risk',
      category: 'staffing',
      description: 'Only one nurse trained on the new infusion pumps',
      harm: 'low',
      riskBand: 'high',
      correction: { escalation: 'none' },
    });
    const corrections = await get(ctx.app, `/v1/items/${item.id}/corrections`, org.governance.token);
    expect(corrections.status).toBe(200);
    expect(corrections.body.data).toEqual([
      expect.objectContaining({
        id: res.body.correction.id,
        action: 'amended',
        reason,
        actor: { staffId: org.clinician.id, tokenId: expect.any(String) },
        changes: expect.objectContaining({ kind: { from: 'problem', to: 'risk' }, harm: { from: null, to: 'low' } }),
      }),
    ]);
    const timeline = await get(ctx.app, `/v1/items/${item.id}/timeline`, org.adminToken);
    const amended = timeline.body.data.find((e: { action: string }) => e.action === 'amended');
    expect(amended).toMatchObject({
      actor: { type: 'staff', id: org.clinician.id },
      changes: { correctionId: res.body.correction.id, reason: { text: 'redacted', length: reason.length } },
    });
    const trail = await ctx.database.db.select().from(auditEvents).where(eq(auditEvents.entityId, item.id));
    for (const event of trail) {
      expect(JSON.stringify(event.changes)).not.toContain('infusion pumps');
      expect(JSON.stringify(event.changes)).not.toContain('huddle');
    }
    const verify = await get(ctx.app, '/v1/audit/verify', org.adminToken);
    expect(verify.body).toMatchObject({ ok: true });
  });

  it('is read by reports in its corrected band', async () => {
    const item = await raiseHighRiskItem(ctx, other); // the other organisation: nothing else of its in this date
    const report = (token: string) =>
      get(ctx.app, `/v1/reports/governance?from=${item.raisedOn}&to=${item.raisedOn}`, token);
    const band = (body: { items: { overall: { byBand: { key: string; current: number }[] } } }, key: string) =>
      body.items.overall.byBand.find((b) => b.key === key)!.current;
    const before = await report(other.governance.token);
    expect(before.status, JSON.stringify(before.body)).toBe(200);
    expect([band(before.body, 'high'), band(before.body, 'extreme')]).toEqual([1, 0]);
    const res = await patch(ctx.app, `/v1/items/${item.id}`, other.adminToken, {
      consequence: 5,
      likelihood: 4,
      reason,
    });
    expect(res.status).toBe(200);
    const after = await report(other.governance.token);
    expect([band(after.body, 'high'), band(after.body, 'extreme')]).toEqual([0, 1]);
    const threats = await get(ctx.app, `/v1/items?band=extreme&wardId=${other.wards[0]!.id}`, other.adminToken);
    expect(threats.body.data.map((i: { id: string }) => i.id)).toContain(item.id);
  });
});

describe('amending an item: refusals', () => {
  it('needs a reason, and at least one change', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    expectProblem(await patch(ctx.app, `/v1/items/${item.id}`, org.clinician.token, { likelihood: 5 }), 400);
    expectProblem(await patch(ctx.app, `/v1/items/${item.id}`, org.clinician.token, { reason }), 400);
    expectProblem(
      await patch(ctx.app, `/v1/items/${item.id}`, org.clinician.token, { consequence: 4, likelihood: 3, reason }),
      400,
    );
    const [row] = await ctx.database.db.select().from(items).where(eq(items.id, item.id));
    expect(row).toMatchObject({ riskScore: 12 });
  });

  it("answers 404 for another organisation's item, and for ward staff of another ward", async () => {
    const item = await raiseHighRiskItem(ctx, org);
    expectProblem(await patch(ctx.app, `/v1/items/${item.id}`, other.adminToken, { likelihood: 5, reason }), 404);
    expectProblem(
      await patch(ctx.app, `/v1/items/${item.id}`, org.wards[1]!.deviceToken, { likelihood: 5, reason }),
      404,
    );
  });

  it('answers 403 to managers and governance', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    for (const token of [org.middleManager.token, org.seniorManager.token, org.governance.token]) {
      expectProblem(await patch(ctx.app, `/v1/items/${item.id}`, token, { likelihood: 1, reason }), 403);
    }
  });

  it('refuses an identifier in the amended text by the organisation policy, and keeps the item as it was', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const res = await patch(ctx.app, `/v1/items/${item.id}`, org.clinician.token, {
      description: 'Pump fault for patient 943 476 5919',
      reason,
    });
    const problem = expectProblem(res, 422);
    expect(problem.errors).toEqual([{ path: 'body.description', message: 'contains what looks like an NHS number' }]);
    expect(res.raw).not.toContain('943 476 5919');
    const [row] = await ctx.database.db.select().from(items).where(eq(items.id, item.id));
    expect(row!.description).toBe(item.description);
    expect(await ctx.database.db.select().from(itemCorrections).where(eq(itemCorrections.itemId, item.id))).toEqual([]);
  });

  it('refuses to grade good practice, and to amend a voided item', async () => {
    const ward = org.wards[0]!;
    const recorded = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: nextDate(),
      items: [{ kind: 'good_practice', category: 'communication', description: 'Safety huddle started on time' }],
    });
    const goodPractice = recorded.body.items[0];
    expectProblem(
      await patch(ctx.app, `/v1/items/${goodPractice.id}`, ward.deviceToken, { likelihood: 3, reason }),
      409,
    );
    const item = await raiseHighRiskItem(ctx, org);
    expect((await post(ctx.app, `/v1/items/${item.id}/void`, ward.deviceToken, { reason })).status).toBe(200);
    expectProblem(await patch(ctx.app, `/v1/items/${item.id}`, ward.deviceToken, { likelihood: 5, reason }), 409);
  });
});
