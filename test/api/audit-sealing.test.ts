import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema.js';
import { sealAuditTrail, sealPendingAudit, startAuditSealer } from '../../src/audit/sealer.js';
import { createLogger } from '../../src/logger.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { nextDate } from '../helpers/escalation.js';
import { briefingBody, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({ policy: (org) => ({ levels: [{ staffId: org.middleManager.id }] }) }));
});
afterAll(() => ctx?.close());

/** The database's own refusal (drizzle wraps it as the error's cause). */
async function refusal(statement: Promise<unknown>): Promise<string> {
  const error = await statement.then(
    () => null,
    (e: unknown) => e as { cause?: { message?: string } },
  );
  expect(error, 'the statement should have been refused').not.toBeNull();
  return error?.cause?.message ?? '';
}

const eventsOf = (organisationId: string) =>
  ctx.database.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.organisationId, organisationId))
    .orderBy(asc(auditEvents.id));

describe('sealing the audit trail', () => {
  it('writes events unsealed and seals them once, in the order written, into a chain verify accepts', async () => {
    // Concurrent briefings of one trust: writers no longer queue for the chain.
    const responses = await Promise.all(
      Array.from({ length: 12 }, () =>
        post(ctx.app, '/v1/briefings', org.wards[0]!.deviceToken, briefingBody(org.wards[0]!.id, { date: nextDate() })),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(201));
    const unsealed = await ctx.database.db
      .select({ id: auditEvents.id })
      .from(auditEvents)
      .where(and(eq(auditEvents.organisationId, org.id), isNull(auditEvents.seq)));
    // Each briefing: the briefing, its two items and one escalation.
    expect(unsealed.length).toBeGreaterThanOrEqual(12 * 4);

    const sealed = await sealPendingAudit(ctx.database.db);
    expect(sealed).toBeGreaterThanOrEqual(12 * 4);
    expect(await sealAuditTrail(ctx.database.db, org.id, { wait: true })).toBe(0); // nothing is sealed twice

    const events = await eventsOf(org.id);
    expect(events.every((e) => e.seq !== null && e.hash !== null && e.prevHash !== null)).toBe(true);
    // seq follows the order of writing, 1..n, each event linking to the one before it.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (let i = 1; i < events.length; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);

    const verified = await get(ctx.app, '/v1/audit/verify', org.governance.token);
    expect(verified.body).toMatchObject({ ok: true, events: events.length, lastHash: events.at(-1)!.hash });
  });

  it('lets the sealer set seq and hash once, and refuses every other change', async () => {
    await post(
      ctx.app,
      '/v1/briefings',
      org.wards[0]!.deviceToken,
      briefingBody(org.wards[0]!.id, { date: nextDate() }),
    );
    const db = ctx.database.db;
    const [pending] = await db
      .select({ id: auditEvents.id })
      .from(auditEvents)
      .where(and(eq(auditEvents.organisationId, org.id), isNull(auditEvents.seq)))
      .limit(1);
    expect(pending).toBeDefined();
    // Sealing may not change what the event says.
    expect(
      await refusal(
        db.execute(
          sql`update audit_events set seq = 100000, prev_hash = 'x', hash = 'y', action = 'forged' where id = ${pending!.id}`,
        ),
      ),
    ).toMatch(/append-only/);
    // A half seal is refused by the table itself.
    expect(await refusal(db.execute(sql`update audit_events set seq = 100000 where id = ${pending!.id}`))).toMatch(
      /audit_events_sealed_whole/,
    );

    await sealAuditTrail(db, org.id, { wait: true });
    // Once sealed, nothing changes: not the seal, not the content.
    expect(await refusal(db.execute(sql`update audit_events set hash = 'z' where id = ${pending!.id}`))).toMatch(
      /append-only/,
    );
    expect(
      await refusal(
        db.execute(sql`update audit_events set seq = null, prev_hash = null, hash = null where id = ${pending!.id}`),
      ),
    ).toMatch(/append-only/);
    expect((await get(ctx.app, '/v1/audit/verify', org.governance.token)).body.ok).toBe(true);
  });

  it('seals in a running service within seconds, with nobody asking', async () => {
    const sealer = startAuditSealer(ctx.database.db, createLogger('silent'), 100);
    try {
      await post(
        ctx.app,
        '/v1/briefings',
        org.wards[0]!.deviceToken,
        briefingBody(org.wards[0]!.id, { date: nextDate() }),
      );
      const deadline = Date.now() + 15_000;
      let left = Infinity;
      while (Date.now() < deadline) {
        left = (await eventsOf(org.id)).filter((e) => e.seq === null).length;
        if (left === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(left).toBe(0);
    } finally {
      await sealer.stop();
    }
  });
});
