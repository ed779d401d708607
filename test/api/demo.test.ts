/**
 * The demo data behind `npm run demo`: seeded through the service's own functions, it must be
 * usable with the printed tokens, hold a verifiable audit trail, and be seeded only once.
 */
import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalations, itemCorrections, items } from '../../src/db/schema.js';
import { DEMO_TOKENS, seedDemo } from '../../src/demo/seed.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { get } from '../helpers/fixtures.js';

let ctx: TestContext;
let seeded: Awaited<ReturnType<typeof seedDemo>>;

beforeAll(async () => {
  ctx = await createTestContext();
  seeded = await seedDemo(ctx.database.db, ctx.relay, { weeks: 2 });
}, 120_000);
afterAll(() => ctx?.close());

describe('the demo data', () => {
  it('answers the README examples with the printed tokens', async () => {
    expect(seeded.seeded).toBe(true);
    const wards = await get(ctx.app, '/v1/wards', DEMO_TOKENS.matronMedicine);
    expect(wards.status, wards.raw).toBe(200);
    expect(wards.body.data.length).toBeGreaterThan(0);

    const open = await get(ctx.app, '/v1/items?status=open&band=high', DEMO_TOKENS.directorOfNursing);
    expect(open.status, open.raw).toBe(200);
    expect(open.body.data.length, 'open high-risk items to look at').toBeGreaterThan(0);
    for (const item of open.body.data) expect(item).toMatchObject({ status: 'open', riskBand: 'high' });

    const inbox = await get(ctx.app, '/v1/inbox', DEMO_TOKENS.matronMedicine);
    expect(inbox.status, inbox.raw).toBe(200);
    expect(inbox.body.data.length, 'the matron has escalations waiting').toBeGreaterThan(0);
  });

  it('has a deputy: the surgical matron covers the medical matron, whose escalations are in her inbox as cover', async () => {
    const inbox = await get(ctx.app, '/v1/inbox?limit=200', DEMO_TOKENS.matronSurgery);
    expect(inbox.status, inbox.raw).toBe(200);
    const covered = inbox.body.data.filter((e: { cover: unknown }) => e.cover !== null);
    expect(covered.length, 'escalations held for the medical matron').toBeGreaterThan(0);
    for (const entry of covered) expect(entry.cover.name).toBe('Sam Okafor (matron, medicine)');
    const medical = await get(ctx.app, '/v1/inbox?limit=200', DEMO_TOKENS.matronMedicine);
    expect(covered.map((e: { id: string }) => e.id).sort()).toEqual(
      medical.body.data.map((e: { id: string }) => e.id).sort(),
    );
  });

  it('holds an amended item and a voided one, each with its reason', async () => {
    const [amended, voided] = await Promise.all(
      ['amended', 'voided'].map(async (action) => {
        const [row] = await ctx.database.db
          .select()
          .from(itemCorrections)
          .where(eq(itemCorrections.action, action as 'amended'));
        return row!;
      }),
    );
    const corrections = await get(ctx.app, `/v1/items/${amended!.itemId}/corrections`, DEMO_TOKENS.governance);
    expect(corrections.body.data).toEqual([
      expect.objectContaining({ action: 'amended', reason: expect.stringContaining('Graded as unlikely') }),
    ]);
    expect((await get(ctx.app, `/v1/items/${amended!.itemId}`, DEMO_TOKENS.governance)).status).toBe(200);
    expect((await get(ctx.app, `/v1/items/${voided!.itemId}`, DEMO_TOKENS.governance)).status).toBe(404);
    const trail = await get(ctx.app, `/v1/items/${voided!.itemId}/timeline`, DEMO_TOKENS.governance);
    expect(trail.body.data.map((e: { action: string }) => e.action)).toContain('voided');
  });

  it('shows an issue raised again as one escalation, with how often it was raised', async () => {
    const open = await ctx.database.db
      .select({ id: escalations.id, threadId: escalations.threadId })
      .from(escalations)
      .where(ne(escalations.state, 'resolved'));
    expect(open.length, 'open escalations').toBeGreaterThan(0);
    expect(new Set(open.map((row) => row.threadId)).size, 'one open escalation per thread').toBe(open.length);
    const repeats = await ctx.database.db
      .select({ id: escalations.id, raised: sql<number>`count(${items.id})::int` })
      .from(escalations)
      .innerJoin(items, eq(items.threadId, escalations.threadId))
      .where(and(ne(escalations.state, 'resolved'), isNull(items.voidedAt)))
      .groupBy(escalations.id);
    expect(repeats.length, 'a thread raised again while its escalation is open').toBeGreaterThan(0);
    const shown = await get(ctx.app, `/v1/escalations/${repeats[0]!.id}`, DEMO_TOKENS.directorOfNursing);
    expect(shown.status, shown.raw).toBe(200);
    expect(shown.body.raisedCount).toBe(repeats[0]!.raised + 1);
  });

  it('holds an audit trail that verifies', async () => {
    const verified = await get(ctx.app, '/v1/audit/verify', DEMO_TOKENS.governance);
    expect(verified.status, verified.raw).toBe(200);
    expect(verified.body.ok).toBe(true);
    expect(verified.body.events).toBeGreaterThan(50);
  });

  it('is seeded once: a second start leaves it as it is', async () => {
    const again = await seedDemo(ctx.database.db, ctx.relay, { weeks: 2 });
    expect(again).toEqual({ organisationId: seeded.organisationId, seeded: false });
  });
});
