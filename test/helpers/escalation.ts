import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { escalationEvents, notifications } from '../../src/db/schema.js';
import type { TestContext } from './context.js';
import { briefingBody, post, type Organisation } from './fixtures.js';

let dayOffset = 0;
/** A distinct date per briefing, so tests never collide on the one-briefing-per-shift rule. */
export function nextDate(): string {
  // Far enough back that a file's thousands of briefings never reach a date after tomorrow.
  const date = new Date(Date.UTC(2010, 0, 1) + dayOffset++ * 86_400_000);
  return date.toISOString().slice(0, 10);
}

export async function putPolicy(ctx: TestContext, org: Organisation, wardId: string, policy: Record<string, unknown>) {
  const response = await ctx.app.inject({
    method: 'PUT',
    url: `/v1/wards/${wardId}/escalation-policy`,
    headers: { authorization: `Bearer ${org.adminToken}` },
    payload: policy,
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

/**
 * A description no earlier one resembles (a reference of random letters), so repeat detection
 * never joins one test's item to another's escalation.
 */
export function distinctDescription(text = 'Infusion pumps failing their safety check') {
  const letters = Array.from(randomBytes(40), (b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${text}, reference ${letters}`;
}

/** An unresolved high-risk problem (4 x 3 = 12) that is no repeat of another: it opens its own escalation. */
export const newHighRiskProblem = () => ({
  kind: 'problem',
  category: 'equipment',
  description: distinctDescription(),
  consequence: 4,
  likelihood: 3,
  needsChange: true,
});

/** Records a briefing with one unresolved high-risk problem (4 x 3 = 12) and returns the item. */
export async function raiseHighRiskItem(
  ctx: TestContext,
  org: Organisation,
  overrides: Record<string, unknown> = {},
  wardIndex = 0,
) {
  const ward = org.wards[wardIndex]!;
  const res = await post(
    ctx.app,
    '/v1/briefings',
    ward.deviceToken,
    briefingBody(ward.id, {
      date: nextDate(),
      items: [
        {
          kind: 'problem',
          category: 'equipment',
          description: distinctDescription(),
          consequence: 4,
          likelihood: 3,
          needsChange: true,
          ...overrides,
        },
      ],
    }),
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.items[0];
}

export async function eventsOf(ctx: TestContext, escalationId: string) {
  return ctx.database.db
    .select()
    .from(escalationEvents)
    .where(eq(escalationEvents.escalationId, escalationId))
    .orderBy(escalationEvents.id);
}

export async function notificationsOf(ctx: TestContext, escalationId: string) {
  return ctx.database.db
    .select()
    .from(notifications)
    .where(eq(notifications.escalationId, escalationId))
    .orderBy(notifications.step);
}

export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
