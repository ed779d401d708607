import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { putPolicy, raiseHighRiskItem } from '../helpers/escalation.js';
import { expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({
    organisations: 1,
    policy: (org) => ({ levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

const today = () => localDateOf(new Date());
const monthAgo = () => addDays(today(), -30);
const url = () => `/v1/reports/alignment-by-level?from=${monthAgo()}&to=${today()}`;

/** An escalated high-risk item the team wants changed, answered by the middle manager (or not). */
async function answered(stance: 'agree' | 'disagree' | null, wardIndex = 0) {
  const item = await raiseHighRiskItem(ctx, org, { needsChange: true }, wardIndex);
  const id: string = item.escalation.id;
  if (stance) {
    expect((await post(ctx.app, `/v1/escalations/${id}/acknowledge`, org.middleManager.token, {})).status).toBe(200);
    const res = await post(ctx.app, `/v1/escalations/${id}/position`, org.middleManager.token, {
      stance,
      rationale: 'Considered',
    });
    expect(res.status, res.raw).toBe(200);
  }
  return item.id as string;
}

async function decide(itemId: string, body: Record<string, unknown>) {
  const res = await post(ctx.app, `/v1/items/${itemId}/senior-decision`, org.seniorManager.token, body);
  expect(res.status, res.raw).toBe(201);
}

describe('alignment by level', () => {
  beforeAll(async () => {
    // W1: agreed and adopted; disagreed and sent back; never answered; disagreed and risk accepted.
    await decide(await answered('agree'), { decision: 'adopt_as_qi_target', title: 'Pump reliability' });
    await decide(await answered('disagree'), { decision: 'send_back', reason: 'Talk to the team first' });
    await answered(null);
    await decide(await answered('disagree'), {
      decision: 'accept_risk',
      reason: 'Tolerable',
      reviewDate: '2099-01-01',
    });
    // W2: one escalation never answered.
    await putPolicy(ctx, org, org.wards[1]!.id, { levels: [{ staffId: org.middleManager.id }] });
    await answered(null, 1);
  });

  const w1 = {
    escalations: 4,
    teamManagerAnswered: 3,
    teamManagerAgreed: 1,
    managerSeniorDecided: 2,
    managerSeniorAgreed: 2,
    neverAnswered: 1,
    disagreed: 2,
    returned: 1,
  };
  const w2: Record<string, number> = {
    ...Object.fromEntries(Object.keys(w1).map((k) => [k, 0])),
    escalations: 1,
    neverAnswered: 1,
  };

  it('counts agreement at each level and where issues stall, per ward, division and overall', async () => {
    const res = await get(ctx.app, url(), org.governance.token);
    expect(res.status, res.raw).toBe(200);
    expect(res.body.byWard).toEqual([
      { ward: expect.objectContaining({ id: org.wards[0]!.id }), ...w1 },
      { ward: expect.objectContaining({ id: org.wards[1]!.id }), ...w2 },
    ]);
    const sum = Object.fromEntries(Object.keys(w1).map((k) => [k, (w1 as Record<string, number>)[k]! + w2[k]!]));
    expect(res.body.overall).toEqual(sum);
    expect(res.body.byDivision).toEqual([{ division: 'Medicine', ...sum }]);
  });

  it('shows a middle manager their own wards only, and refuses clinicians', async () => {
    const res = await get(ctx.app, url(), org.middleManager.token);
    expect(res.status, res.raw).toBe(200);
    expect(res.body.byWard).toEqual([{ ward: expect.objectContaining({ id: org.wards[0]!.id }), ...w1 }]);
    expect(res.body.overall).toEqual(w1);
    expectProblem(await get(ctx.app, `${url()}&wardId=${org.wards[1]!.id}`, org.middleManager.token), 404);
    expectProblem(await get(ctx.app, url(), org.clinician.token), 403);
  });
});
