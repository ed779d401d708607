/**
 * What a missed deadline hands on: the chain engages a manager who does not hold the escalation
 * already, and a snooze of the manager who missed it does not silence the next one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEscalationStep } from '../../src/escalations/timer.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { putPolicy, raiseHighRiskItem } from '../helpers/escalation.js';
import { get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
});
afterAll(() => ctx?.close());

const step = (escalationId: string, number: number, at: string) =>
  runEscalationStep({ db: ctx.database.db }, { escalationId, step: number }, new Date(at));

describe('a missed deadline', () => {
  it("reminds the manager it climbed to on time, whatever the last manager's snooze", async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 3_600 },
      repeatEverySeconds: 3_600,
      maxRepeats: 2,
    });
    const item = await raiseHighRiskItem(ctx, org);
    const id: string = item.escalation.id;
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const snoozed = await post(ctx.app, `/v1/escalations/${id}/snooze`, org.middleManager.token, {
      until,
      reason: 'On leave',
    });
    expect(snoozed.status, snoozed.raw).toBe(200);
    expect(await step(id, 1, item.escalation.dueAt)).toBe('climbed');
    const climbed = await get(ctx.app, `/v1/escalations/${id}`, org.seniorManager.token);
    expect(climbed.body).toMatchObject({ level: 2, assignee: { id: org.seniorManager.id }, snoozedUntil: null });
    expect(await step(id, 2, climbed.body.nextStepAt)).toBe('reminded');
  });

  it('engages the next manager who does not already hold it, past a category route to a later level', async () => {
    const director = await post(ctx.app, '/v1/staff', org.adminToken, {
      name: 'Director Dee',
      email: `director.${org.code.toLowerCase()}@example.nhs.uk`,
      role: 'senior_manager',
      wardIds: [],
    });
    expect(director.status, director.raw).toBe(201);
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }, { staffId: director.body.id }],
      ackWithinSeconds: { high: 3_600 },
      categoryRoutes: { equipment: org.seniorManager.id },
    });
    const item = await raiseHighRiskItem(ctx, org);
    const id: string = item.escalation.id;
    expect(item.escalation.assignee.id).toBe(org.seniorManager.id);
    expect(await step(id, 1, item.escalation.dueAt)).toBe('climbed');
    const after = await get(ctx.app, `/v1/escalations/${id}`, org.seniorManager.token);
    expect(after.body).toMatchObject({ level: 3, assignee: { id: director.body.id } });
  });
});
