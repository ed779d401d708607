/**
 * API tokens have a life: an expiry by kind (a shorter one on request, never a longer one), a
 * last-used time written at most once a minute, rotation with a short grace period for the old
 * token, and a prefix in lists, never the token. The rotation grace period is 2 s here.
 */
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens, auditEvents } from '../../src/db/schema.js';
import { createLogger } from '../../src/logger.js';
import { ensurePlatformAdmin } from '../../src/tokens/service.js';
import { PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { call, del, expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

const DAY_MS = 24 * 3600 * 1000;
const stored = async (id: string) => (await ctx.database.db.select().from(apiTokens).where(eq(apiTokens.id, id)))[0]!;
const setStored = (id: string, values: Partial<typeof apiTokens.$inferInsert>) =>
  ctx.database.db.update(apiTokens).set(values).where(eq(apiTokens.id, id));
const rotate = (id: string, token = org.adminToken) => post(ctx.app, `/v1/tokens/${id}/rotate`, token, undefined);
const works = async (token: string) => (await get(ctx.app, '/v1/wards', token)).status;
const daysFromNow = (iso: string) => (Date.parse(iso) - Date.now()) / DAY_MS;

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({ organisations: 2, env: { TOKEN_ROTATION_GRACE_SECONDS: '2' } }));
});
afterAll(() => ctx?.close());

describe('expiry', () => {
  it('gives each kind its default lifetime, a shorter one on request and never a longer one', async () => {
    const staffToken = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: org.clinician.id });
    expect(staffToken.status, staffToken.raw).toBe(201);
    expect(daysFromNow(staffToken.body.expiresAt)).toBeCloseTo(90, 1);
    const device = await post(ctx.app, '/v1/tokens', org.adminToken, {
      wardId: org.wards[0]!.id,
      label: 'Spare tablet',
    });
    expect(daysFromNow(device.body.expiresAt)).toBeCloseTo(365, 1);
    const short = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: org.clinician.id, expiresInDays: 7 });
    expect(daysFromNow(short.body.expiresAt)).toBeCloseTo(7, 1);
    const tooLong = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: org.clinician.id, expiresInDays: 91 });
    expect(expectProblem(tooLong, 400).errors).toEqual([
      { path: 'body.expiresInDays', message: 'must be a whole number of days from 1 to 90' },
    ]);
    // The organisation's first administrator token too.
    const tokens = await get(ctx.app, '/v1/tokens', org.adminToken);
    const initial = tokens.body.data.find((t: { label: string | null }) => t.label === 'initial administrator');
    expect(daysFromNow(initial.expiresAt)).toBeCloseTo(90, 1);
  });

  it('an expired token answers 401 like an unknown one', async () => {
    const issued = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: org.governance.id, expiresInDays: 1 });
    expect(await works(issued.body.token)).toBe(200);
    await setStored(issued.body.id, { expiresAt: new Date(Date.now() - 1000) });
    const res = await get(ctx.app, '/v1/wards', issued.body.token);
    expect(expectProblem(res, 401).detail).toBe('The token is not valid or has been revoked');
  });
});

describe('lists', () => {
  it('show a prefix, the expiry and the last use, never the token', async () => {
    const issued = await post(ctx.app, '/v1/tokens', org.adminToken, { wardId: org.wards[1]!.id, label: 'Bay tablet' });
    expect(issued.body.prefix).toBe(issued.body.token.slice(0, 8));
    expect(issued.body.prefix).toMatch(/^wsb_.{4}$/);
    const list = await get(ctx.app, '/v1/tokens', org.adminToken);
    expect(list.raw).not.toContain(issued.body.token);
    const listed = list.body.data.find((t: { id: string }) => t.id === issued.body.id);
    expect(listed).toMatchObject({ prefix: issued.body.prefix, expiresAt: issued.body.expiresAt, lastUsedAt: null });
    expect(listed).not.toHaveProperty('token');
  });
});

describe('last use', () => {
  it('is recorded on use, at most once a minute per token', async () => {
    const issued = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: org.seniorManager.id });
    expect((await stored(issued.body.id)).lastUsedAt).toBeNull();
    expect(await works(issued.body.token)).toBe(200);
    const first = (await stored(issued.body.id)).lastUsedAt!;
    expect(Date.now() - first.getTime()).toBeLessThan(10_000);
    for (let i = 0; i < 5; i++) expect(await works(issued.body.token)).toBe(200);
    expect((await stored(issued.body.id)).lastUsedAt).toEqual(first);
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await setStored(issued.body.id, { lastUsedAt: twoMinutesAgo });
    expect(await works(issued.body.token)).toBe(200);
    expect((await stored(issued.body.id)).lastUsedAt!.getTime()).toBeGreaterThan(twoMinutesAgo.getTime() + 60_000);
    const listed = (await get(ctx.app, '/v1/tokens', org.adminToken)).body.data.find(
      (t: { id: string }) => t.id === issued.body.id,
    );
    expect(listed.lastUsedAt).toEqual(expect.any(String));
  });
});

describe('rotation', () => {
  it('issues a new token and keeps the old one working only for the grace period', async () => {
    const old = await post(ctx.app, '/v1/tokens', org.adminToken, { wardId: org.wards[0]!.id, label: 'Ward 1 tablet' });
    const rotated = await rotate(old.body.id);
    expect(rotated.status, rotated.raw).toBe(201);
    expect(rotated.body).toMatchObject({ kind: 'ward_device', wardId: org.wards[0]!.id, label: 'Ward 1 tablet' });
    expect(rotated.body.token).not.toBe(old.body.token);
    expect(daysFromNow(rotated.body.expiresAt)).toBeCloseTo(365, 1);
    expect(rotated.body.replaced).toMatchObject({ id: old.body.id, replacedById: rotated.body.id });
    expect(Date.parse(rotated.body.replaced.expiresAt) - Date.now()).toBeLessThanOrEqual(2_000);
    expect(await works(old.body.token)).toBe(200);
    expect(await works(rotated.body.token)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expectProblem(await get(ctx.app, '/v1/wards', old.body.token), 401);
    expect(await works(rotated.body.token)).toBe(200);
  });

  it('refuses a token already rotated, revoked or expired (409), and another organisation gets 404', async () => {
    const first = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: org.middleManager.id });
    expect((await rotate(first.body.id)).status).toBe(201);
    expectProblem(await rotate(first.body.id), 409);
    const revoked = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: org.middleManager.id });
    expect((await del(ctx.app, `/v1/tokens/${revoked.body.id}`, org.adminToken)).status).toBe(200);
    expectProblem(await rotate(revoked.body.id), 409);
    const expired = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: org.middleManager.id });
    await setStored(expired.body.id, { expiresAt: new Date(Date.now() - 1000) });
    expectProblem(await rotate(expired.body.id), 409);
    const mine = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: org.middleManager.id });
    expectProblem(await rotate(mine.body.id, other.adminToken), 404);
    expect((await stored(mine.body.id)).replacedById).toBeNull();
  });

  it('is audited: the new token issued in place of the old, the old one rotated', async () => {
    const old = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: org.clinician.id, label: 'Laptop' });
    const rotated = await rotate(old.body.id);
    expect(rotated.status).toBe(201);
    const events = await ctx.database.db
      .select({ entityId: auditEvents.entityId, action: auditEvents.action, changes: auditEvents.changes })
      .from(auditEvents)
      .where(inArray(auditEvents.entityId, [old.body.id, rotated.body.id]))
      .orderBy(asc(auditEvents.id));
    expect(events).toEqual([
      expect.objectContaining({ entityId: old.body.id, action: 'issued' }),
      expect.objectContaining({
        entityId: rotated.body.id,
        action: 'issued',
        changes: expect.objectContaining({ replaces: old.body.id }),
      }),
      expect.objectContaining({
        entityId: old.body.id,
        action: 'rotated',
        changes: expect.objectContaining({ replacedById: rotated.body.id }),
      }),
    ]);
    expect(JSON.stringify(events)).not.toContain(rotated.body.token);
  });
});

describe('the platform administrator token', () => {
  it('a configured BOOTSTRAP_ADMIN_TOKEN has no expiry; configuring another revokes the previous one', async () => {
    const [bootstrap] = await ctx.database.db.select().from(apiTokens).where(eq(apiTokens.kind, 'platform_admin'));
    expect(bootstrap!.expiresAt).toBeNull();
    expect(
      (
        await call(ctx.app, {
          method: 'GET',
          url: `/v1/organisations/${org.id}/identity-provider`,
          token: PLATFORM_TOKEN,
        })
      ).status,
    ).toBe(404);
    const next = 'the-next-bootstrap-token-0123456789';
    const logger = createLogger('silent');
    expect(await ensurePlatformAdmin(ctx.database.db, next, logger, ctx.config.tokenLifetimes)).toBeNull();
    expectProblem(await get(ctx.app, `/v1/organisations/${org.id}/identity-provider`, PLATFORM_TOKEN), 401);
    expectProblem(await get(ctx.app, `/v1/organisations/${org.id}/identity-provider`, next), 404);
    // Without a configured token, one is generated only when no valid one is left; it expires after 30 days.
    expect(await ensurePlatformAdmin(ctx.database.db, undefined, logger, ctx.config.tokenLifetimes)).toBeNull();
    await ctx.database.db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.kind, 'platform_admin'));
    const generated = await ensurePlatformAdmin(ctx.database.db, undefined, logger, ctx.config.tokenLifetimes);
    expect(generated).toMatch(/^wsb_/);
    const [row] = await ctx.database.db
      .select()
      .from(apiTokens)
      .where(eq(apiTokens.prefix, generated!.slice(0, 8)));
    expect((row!.expiresAt!.getTime() - Date.now()) / DAY_MS).toBeCloseTo(30, 1);
    expectProblem(await get(ctx.app, `/v1/organisations/${org.id}/identity-provider`, generated!), 404);
  });
});
