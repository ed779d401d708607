/** Authentication: no token, a malformed header, an unknown or a revoked token is 401 on every secured route. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { call, del, expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';
import { fill, label, operations, startAccessWorld, tokensOf } from './access-world.js';

let ctx: TestContext;
/** The organisation whose objects are probed. */
let a: Organisation;
/** Another organisation, whose callers must not see them. */
let b: Organisation;

beforeAll(async () => {
  ({ ctx, a, b } = await startAccessWorld());
});
afterAll(() => ctx?.close());

describe('authentication', () => {
  it('every secured route answers 401 without a token, with a malformed header, or an unknown token', async () => {
    const secured = operations(ctx).filter((op) => op.secured);
    expect(secured.length).toBeGreaterThan(10);
    const headers = [
      undefined,
      'Bearer',
      'Bearer ',
      `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      `Token ${a.adminToken}`,
      a.adminToken,
      `Bearer ${a.adminToken} extra`,
      `Bearer  ${a.adminToken}`,
      'Bearer wsb_not-a-real-token',
      `Bearer ${'x'.repeat(600)}`,
    ];
    for (const op of secured) {
      for (const authorization of headers) {
        const res = await call(ctx.app, {
          method: op.method,
          url: fill(op.path, randomUUID()),
          headers: authorization === undefined ? {} : { authorization },
          payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
        });
        expectProblem(res, 401);
      }
    }
  });

  it('the public routes need no token', async () => {
    const open = operations(ctx).filter((op) => !op.secured);
    expect(open.map(label)).toEqual(expect.arrayContaining(['GET /health', 'GET /ready']));
    for (const op of open)
      expect((await call(ctx.app, { method: op.method, url: op.path })).status, label(op)).toBe(200);
    expect((await call(ctx.app, { method: 'GET', url: '/openapi.json' })).status).toBe(200);
  });

  it('a revoked token answers 401 on every secured route, and revoking again changes nothing', async () => {
    const issued = await post(ctx.app, '/v1/tokens', a.adminToken, { staffId: a.seniorManager.id, label: 'to revoke' });
    const device = await post(ctx.app, '/v1/tokens', a.adminToken, { wardId: a.wards[0]!.id, label: 'lost tablet' });
    expect((await get(ctx.app, '/v1/briefings', issued.body.token)).status).toBe(200);
    expect((await get(ctx.app, '/v1/briefings', device.body.token)).status).toBe(200);

    const revoked = await del(ctx.app, `/v1/tokens/${issued.body.id}`, a.adminToken);
    expect(revoked.status, revoked.raw).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect(revoked.raw).not.toContain(issued.body.token);
    expect((await del(ctx.app, `/v1/tokens/${device.body.id}`, a.adminToken)).status).toBe(200);
    const again = await del(ctx.app, `/v1/tokens/${issued.body.id}`, a.adminToken);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);

    for (const op of operations(ctx).filter((o) => o.secured)) {
      for (const token of [issued.body.token, device.body.token]) {
        const res = await call(ctx.app, {
          method: op.method,
          url: fill(op.path, randomUUID()),
          token,
          payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
        });
        expectProblem(res, 401);
      }
    }
    // The senior manager's other token still works.
    expect((await get(ctx.app, '/v1/briefings', a.seniorManager.token)).status).toBe(200);
  });

  it('tokens are never listed, returned after they are issued, or logged', async () => {
    const list = await get(ctx.app, '/v1/tokens', a.adminToken);
    expect(list.status).toBe(200);
    expect(list.body.data.length).toBeGreaterThanOrEqual(7);
    const logs = ctx.logLines.join('');
    expect(logs).toContain('/v1/tokens'); // the requests above were logged
    for (const [, , token] of [...tokensOf(a), ...tokensOf(b)]) {
      expect(list.raw).not.toContain(token);
      expect(logs).not.toContain(token);
    }
    expect(logs).not.toContain(PLATFORM_TOKEN);
  });
});
