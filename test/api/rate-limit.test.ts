import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { briefingBody, createOrganisation, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let secondProcess: App;

beforeAll(async () => {
  ctx = await createTestContext({ AUTH_FAILURE_LIMIT_PER_MINUTE: '5', WRITE_LIMIT_PER_MINUTE: '12' });
  org = await createOrganisation(ctx.app);
  // A second API process on the same database and Redis.
  secondProcess = await buildApp({
    config: ctx.config,
    database: ctx.database,
    logger: createLogger('silent'),
    queues: ctx.queues,
    relay: ctx.relay,
  });
  await secondProcess.ready();
});
afterAll(async () => {
  await secondProcess?.close();
  await ctx?.close();
});

/** Limits count per clock minute: start a test early in a minute so the window cannot roll over mid-test. */
async function freshWindow() {
  const secondsLeft = 60 - ((Date.now() / 1000) % 60);
  if (secondsLeft < 20) await new Promise((resolve) => setTimeout(resolve, secondsLeft * 1000 + 200));
}

describe('rate limits', { timeout: 60_000 }, () => {
  it('blocks an address after repeated bad tokens, across processes, with Retry-After', async () => {
    await freshWindow();
    const ip = '203.0.113.77';
    const attempt = (app: App, token: string) =>
      app.inject({ method: 'GET', url: '/v1/wards', remoteAddress: ip, headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 3; i++) expect((await attempt(ctx.app, `wrong-token-${i}`)).statusCode).toBe(401);
    for (let i = 0; i < 2; i++) expect((await attempt(secondProcess, `wrong-token-b${i}`)).statusCode).toBe(401);
    const blocked = await attempt(ctx.app, 'wrong-token-again');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.headers['content-type']).toContain('application/problem+json');
    // A right token from that address is still served; other addresses are unaffected.
    expect((await attempt(secondProcess, org.adminToken)).statusCode).toBe(200);
    const elsewhere = await ctx.app.inject({
      method: 'GET',
      url: '/v1/wards',
      remoteAddress: '203.0.113.78',
      headers: { authorization: `Bearer ${org.adminToken}` },
    });
    expect(elsewhere.statusCode).toBe(200);
  });

  // Behind a hospital's shared NAT one broken client must not stop every ward's capture: failed
  // sign-ins are limited, a valid token from the same address never is.
  it('never refuses a valid token from an address past the failed sign-in limit', async () => {
    await freshWindow();
    const ip = '198.51.100.23';
    const ward = org.wards[1]!; // (the write-limit test below spends wards[0]'s writes)
    const send = (token: string, method: 'GET' | 'POST' = 'GET', payload?: object) =>
      ctx.app.inject({
        method,
        url: method === 'GET' ? '/v1/wards' : '/v1/briefings',
        remoteAddress: ip,
        headers: { authorization: `Bearer ${token}` },
        ...(payload ? { payload } : {}),
      });
    const bad: number[] = [];
    for (let i = 0; i < 27; i++) bad.push((await send(`wsb_broken-client-${i}`)).statusCode);
    expect(bad.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(bad.slice(5))).toEqual(new Set([429]));

    // A ward's briefing sent with its valid device token, from the same address: stored.
    const briefing = await send(ward.deviceToken, 'POST', briefingBody(ward.id, { date: '2026-04-01' }));
    expect(briefing.statusCode, briefing.body).toBe(201);
    expect((await send(org.adminToken)).statusCode).toBe(200);

    // Bad tokens past the limit are still refused with 429 and Retry-After, as problem documents.
    const refused = await send('wsb_broken-client-again');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ status: 429, detail: expect.stringMatching(/failed sign-ins/i) });
    // A malformed Authorization header counts as a failed sign-in too.
    const malformed = await ctx.app.inject({
      method: 'GET',
      url: '/v1/wards',
      remoteAddress: ip,
      headers: { authorization: 'Token x' },
    });
    expect(malformed.statusCode).toBe(429);
  });

  it('limits writes per token, not reads, and not other tokens', async () => {
    await freshWindow();
    const ward = org.wards[0]!;
    const statuses: number[] = [];
    for (let day = 1; day <= 14; day++) {
      const app = day % 2 ? ctx.app : secondProcess;
      const date = `2026-03-${String(day).padStart(2, '0')}`;
      statuses.push((await post(app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id, { date }))).status);
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(12);
    expect(statuses.slice(12)).toEqual([429, 429]);
    expect((await get(ctx.app, '/v1/briefings', ward.deviceToken)).status).toBe(200);
    const otherWard = org.wards[1]!;
    expect(
      (await post(ctx.app, '/v1/briefings', otherWard.deviceToken, briefingBody(otherWard.id, { date: '2026-03-01' })))
        .status,
    ).toBe(201);
  });
});
