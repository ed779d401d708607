/**
 * The ward and its manager act on one issue at the same moment: the ward resolves the item while
 * the manager records a position or resolves the escalation. Each answer is a success or a clear
 * refusal, never a server error (the two once deadlocked), and the issue ends in one consistent state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { raiseHighRiskItem } from '../helpers/escalation.js';
import { get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
beforeAll(async () => {
  ({ ctx, org } = await startApiTest({
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }, { staffId: o.seniorManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

const ROUNDS = 12;

async function raisedAndAcknowledged() {
  const item = await raiseHighRiskItem(ctx, org);
  const escalationId: string = item.escalation.id;
  const ack = await post(ctx.app, `/v1/escalations/${escalationId}/acknowledge`, org.middleManager.token, {});
  expect(ack.status, ack.raw).toBe(200);
  return { itemId: item.id as string, escalationId };
}

const wardResolves = (itemId: string) =>
  post(ctx.app, `/v1/items/${itemId}/resolve`, org.wards[0]!.deviceToken, { note: 'Fixed on the ward' });

describe('the ward resolving an item while its manager answers', () => {
  it('resolves the item every time; the manager is answered too, or refused once the ward closed the escalation', async () => {
    const answers: number[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { itemId, escalationId } = await raisedAndAcknowledged();
      const [manager, ward] = await Promise.all([
        post(ctx.app, `/v1/escalations/${escalationId}/position`, org.middleManager.token, {
          stance: 'agree',
          rationale: 'Pumps are past their service date',
        }),
        wardResolves(itemId),
      ]);
      answers.push([manager.status, ward.status]);
      if (manager.status === 409) expect(manager.body.detail, manager.raw).toMatch(/resolved/i);
      const item = await get(ctx.app, `/v1/items/${itemId}`, org.wards[0]!.deviceToken);
      expect(item.body.status).toBe('resolved');
    }
    expect(answers.map(([manager]) => manager).filter((status) => status !== 200 && status !== 409)).toEqual([]);
    expect(answers.map(([, ward]) => ward)).toEqual(Array.from({ length: ROUNDS }, () => 200));
  }, 120_000);

  it('while the manager resolves the escalation: one of them resolves it, the other is refused or joins in', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { itemId, escalationId } = await raisedAndAcknowledged();
      const [manager, ward] = await Promise.all([
        post(ctx.app, `/v1/escalations/${escalationId}/resolve`, org.middleManager.token, {
          outcome: 'fixed',
          note: 'Replacement fitted',
        }),
        wardResolves(itemId),
      ]);
      for (const answer of [manager, ward]) expect([200, 409], answer.raw).toContain(answer.status);
      expect([manager.status, ward.status]).toContain(200);
      const escalation = await get(ctx.app, `/v1/escalations/${escalationId}`, org.middleManager.token);
      expect(escalation.body.state).toBe('resolved');
      const item = await get(ctx.app, `/v1/items/${itemId}`, org.wards[0]!.deviceToken);
      expect(item.body.status).toBe('resolved');
    }
  }, 120_000);
});
