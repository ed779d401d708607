/**
 * A ward tablet that was offline posts its briefing days later. What the team fixed at that
 * briefing was fixed on the briefing's day, so the reports of the days in between must not show it
 * as open; a briefing recorded on its own day keeps the time it was recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDateOf } from '../../src/domain/calendar.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { distinctDescription } from '../helpers/escalation.js';
import { get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
});
afterAll(() => ctx?.close());

const fixedProblem = (text: string) => ({
  kind: 'problem',
  category: 'equipment',
  description: distinctDescription(text),
  consequence: 4,
  likelihood: 3,
  resolvedAtBriefing: true,
});

describe('an item fixed at a briefing recorded days later', () => {
  it('is resolved at the end of the briefing day, so it is neither an open threat nor a persistent issue', async () => {
    const ward = org.wards[1]!;
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: '2025-06-02',
      items: [fixedProblem('Hoist battery flat, swapped at the briefing')],
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.items[0]).toMatchObject({ status: 'resolved', resolvedAtBriefing: true });
    // Midnight after Monday 2 June 2025 in UK summer time.
    expect(res.body.items[0].resolution.resolvedAt).toBe('2025-06-02T23:00:00.000Z');

    const period = `from=2025-06-01&to=2025-06-30&wardId=${ward.id}`;
    const threats = await get(ctx.app, `/v1/reports/threats?${period}`, org.governance.token);
    expect(threats.status, threats.raw).toBe(200);
    expect(threats.body.total).toBe(0);
    const pack = await get(ctx.app, `/v1/reports/governance?${period}`, org.governance.token);
    expect(pack.status, pack.raw).toBe(200);
    expect(pack.body.persistentIssues).toEqual([]);
  });
});

describe('an item fixed at a briefing recorded on its day', () => {
  it('keeps the moment it was recorded', async () => {
    const ward = org.wards[0]!;
    const before = Date.now();
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: localDateOf(new Date()),
      items: [fixedProblem('Call bell in bay 2 reset at the briefing')],
    });
    expect(res.status, res.raw).toBe(201);
    const resolvedAt = Date.parse(res.body.items[0].resolution.resolvedAt);
    expect(resolvedAt).toBeGreaterThanOrEqual(before);
    expect(resolvedAt).toBeLessThanOrEqual(Date.now());
  });
});
