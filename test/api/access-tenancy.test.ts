/** Tenancy: objects of another organisation, or of another ward, cannot be reached, changed or listed. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from '../helpers/context.js';
import {
  briefingBody,
  call,
  expectProblem,
  get,
  post,
  type ApiResponse,
  type Organisation,
} from '../helpers/fixtures.js';
import {
  ACCESS,
  fill,
  idDecides,
  idRoutes,
  label,
  NO_FIXTURE_YET,
  operations,
  request,
  resourceOf,
  startAccessWorld,
  tokensOf,
  type Operation,
} from './access-world.js';

let ctx: TestContext;
/** The organisation whose objects are probed. */
let a: Organisation;
/** Another organisation, whose callers must not see them. */
let b: Organisation;
/** Ids of the organisation `a` for each kind of object in a path, by its first segment. */
let idsOfA: Record<string, string>;
/** Objects on a's second ward, for ward-scoped callers of the first ward. */
let idsOfSecondWard: Record<string, string>;

beforeAll(async () => {
  ({ ctx, a, b, idsOfA, idsOfSecondWard } = await startAccessWorld());
});
afterAll(() => ctx?.close());

describe('the route table', () => {
  it('is read from the running app and includes the id routes', () => {
    const withIds = operations(ctx).filter((op) => op.path.includes('{'));
    expect(withIds.map(label)).toEqual(
      expect.arrayContaining([
        'GET /v1/wards/{id}',
        'GET /v1/staff/{id}',
        'DELETE /v1/tokens/{id}',
        'GET /v1/briefings/{id}',
        'GET /v1/items/{id}',
        'POST /v1/items/{id}/resolve',
      ]),
    );
    // Every id route is probed below, except those of kinds listed in NO_FIXTURE_YET.
    const probed = idRoutes(ctx, idsOfA).map(label);
    const notProbed = withIds.filter((op) => !probed.includes(label(op)) && !NO_FIXTURE_YET.has(resourceOf(op.path)));
    expect(notProbed.map(label), 'add a fixture id for these routes to idsOfA').toEqual([]);
  });
});

/**
 * The answer to a caller who must not reach the object: 404, indistinguishable from an id that
 * does not exist, with none of the object's data; or 403 when the caller's role may never call
 * the route at all, whatever the id.
 */
async function expectUnreachable(op: Operation, id: string, who: string, token: string) {
  const res = await call(ctx.app, request(op, id, token));
  const context = `${who} ${op.method} ${fill(op.path, id)}: ${res.raw}`;
  expect(idDecides(op) ? [403, 404] : [400, 403, 404], context).toContain(res.status);
  expectProblem(res, res.status);
  const unknown = await call(ctx.app, request(op, randomUUID(), token));
  // Same status and explanation as for an id that does not exist: the id is never confirmed.
  expect(unknown.status, context).toBe(res.status);
  expect(unknown.body.detail, context).toBe(res.body.detail);
  if (op.method === 'GET') {
    const head = await call(ctx.app, { ...request(op, id, token), method: 'HEAD' });
    expect(head.status, `HEAD ${context}`).toBe(res.status);
  }
  return res.status;
}

describe('objects of another organisation', () => {
  it('answer 404 (or 403 for a role that may never call the route) to every caller of the other organisation', async () => {
    const routes = idRoutes(ctx, idsOfA);
    expect(routes.length).toBeGreaterThanOrEqual(6);
    for (const op of routes) {
      const id = idsOfA[resourceOf(op.path)]!;
      let notFound = 0;
      for (const [who, role, token] of tokensOf(b)) {
        const status = await expectUnreachable(op, id, `${b.code} ${who}`, token);
        if (status === 404) notFound++;
        if (status === 403) expect(ACCESS[op.operationId] ?? [], `${who} got 403 on ${label(op)}`).not.toContain(role);
      }
      // Routes of the platform administrator (an organisation's identity provider) are 403 to every tenant caller.
      const tenantMayCall = (ACCESS[op.operationId] ?? []).some((role) => role !== 'platform_admin');
      if (idDecides(op) && tenantMayCall) {
        expect(
          notFound,
          `${label(op)}: no caller of the other organisation reached the ownership check`,
        ).toBeGreaterThan(0);
      }
    }
  });

  it('were not changed by those attempts', async () => {
    const item = await get(ctx.app, `/v1/items/${idsOfA.items}`, a.adminToken);
    expect(item.body.status).toBe('open');
    expect(item.body.priorities).toEqual([]);
    expect(item.body.alignment.state).toBe('pending');
    const escalation = await get(ctx.app, `/v1/escalations/${idsOfA.escalations}`, a.adminToken);
    expect(escalation.body).toMatchObject({ state: 'open', level: 1, assignee: { id: a.middleManager.id } });
    expect(escalation.body.history.map((h: { type: string }) => h.type)).toEqual(['started']);
    const policy = await get(ctx.app, `/v1/wards/${idsOfA.wards}/escalation-policy`, a.adminToken);
    expect(policy.body.levels).toEqual([{ staffId: a.middleManager.id }]);
    const tokens = await get(ctx.app, '/v1/tokens', a.adminToken);
    expect(tokens.body.data.find((t: { id: string }) => t.id === idsOfA.tokens).revokedAt).toBeNull();
  });

  it('cannot be named in lists, filters or references: the answer is the same as for an id that does not exist', async () => {
    const cases: [string, (id: string) => Promise<ApiResponse>][] = [
      ['GET /v1/briefings?wardId=', (id) => get(ctx.app, `/v1/briefings?wardId=${id}`, b.governance.token)],
      ['GET /v1/items?wardId=', (id) => get(ctx.app, `/v1/items?wardId=${id}`, b.seniorManager.token)],
      ['GET /v1/items?wardId= (ward scoped)', (id) => get(ctx.app, `/v1/items?wardId=${id}`, b.clinician.token)],
      ['POST /v1/briefings', (id) => post(ctx.app, '/v1/briefings', b.clinician.token, briefingBody(id))],
      ['POST /v1/tokens {wardId}', (id) => post(ctx.app, '/v1/tokens', b.adminToken, { wardId: id, label: 'stolen' })],
      [
        'POST /v1/staff {wardIds}',
        (id) =>
          post(ctx.app, '/v1/staff', b.adminToken, {
            name: 'X',
            email: `${id}@x.nhs.uk`,
            role: 'clinician',
            wardIds: [id],
          }),
      ],
    ];
    for (const [name, send] of cases) {
      const res = await send(a.wards[0]!.id);
      const unknown = await send(randomUUID());
      expect(res.status, `${name}: ${res.raw}`).toBe(unknown.status);
      expect(res.status, name).not.toBe(201);
      if (res.status === 200) expect(res.body.data, name).toEqual([]);
    }
    const token = await post(ctx.app, '/v1/tokens', b.adminToken, { staffId: a.clinician.id });
    expectProblem(token, 404);
  });

  it('are never listed', async () => {
    for (const [who, , token] of tokensOf(b)) {
      for (const url of ['/v1/briefings', '/v1/items', '/v1/wards']) {
        const res = await get(ctx.app, url, token);
        expect(res.status, `${who} ${url}`).toBe(200);
        const listed = JSON.stringify(res.body);
        for (const id of [...Object.values(idsOfA), ...Object.values(idsOfSecondWard)])
          expect(listed).not.toContain(id);
      }
    }
    const staff = await get(ctx.app, '/v1/staff', b.adminToken);
    expect(JSON.stringify(staff.body)).not.toContain(a.clinician.id);
  });
});

describe('objects of another ward of the same organisation', () => {
  it("answer 404 to the first ward's device, clinician and middle manager", async () => {
    const wardScoped = tokensOf(a).filter(([who]) =>
      ['first ward device', 'clinician', 'middle manager'].includes(who),
    );
    for (const op of idRoutes(ctx, idsOfSecondWard)) {
      const id = idsOfSecondWard[resourceOf(op.path)]!;
      for (const [who, role, token] of wardScoped) {
        const status = await expectUnreachable(op, id, who, token);
        if (idDecides(op) && ACCESS[op.operationId]?.includes(role)) expect(status, `${who} ${label(op)}`).toBe(404);
      }
    }
  });

  it('are readable by organisation-wide roles', async () => {
    for (const token of [a.adminToken, a.seniorManager.token, a.governance.token]) {
      expect((await get(ctx.app, `/v1/briefings/${idsOfSecondWard.briefings}`, token)).status).toBe(200);
      expect((await get(ctx.app, `/v1/items/${idsOfSecondWard.items}`, token)).status).toBe(200);
    }
  });

  it('a clinician records for their own ward, and is told another ward does not exist', async () => {
    const own = await post(
      ctx.app,
      '/v1/briefings',
      a.clinician.token,
      briefingBody(a.wards[0]!.id, { date: '2026-06-01' }),
    );
    expect(own.status, own.raw).toBe(201);
    const other = await post(
      ctx.app,
      '/v1/briefings',
      a.clinician.token,
      briefingBody(a.wards[1]!.id, { date: '2026-06-01' }),
    );
    expectProblem(other, 404);
    const otherDevice = await post(
      ctx.app,
      '/v1/briefings',
      a.wards[1]!.deviceToken,
      briefingBody(a.wards[0]!.id, { date: '2026-06-02' }),
    );
    expectProblem(otherDevice, 404);
    for (const url of [
      `/v1/briefings?wardId=${a.wards[1]!.id}`,
      `/v1/items?wardId=${a.wards[1]!.id}`,
      `/v1/wards/${a.wards[1]!.id}`,
    ]) {
      expectProblem(await get(ctx.app, url, a.clinician.token), 404);
    }
    const wards = await get(ctx.app, '/v1/wards', a.clinician.token);
    expect(wards.body.data.map((w: { id: string }) => w.id)).toEqual([a.wards[0]!.id]);
  });

  it("a middle manager's staff list shows only the staff of their wards", async () => {
    const ofWard = (res: ApiResponse) => res.body.data.map((m: { id: string }) => m.id).sort();
    const managerView = await get(ctx.app, '/v1/staff', a.middleManager.token);
    expect(managerView.status, managerView.raw).toBe(200);
    expect(ofWard(managerView)).toEqual([a.clinician.id, a.middleManager.id].sort());
    for (const member of managerView.body.data) expect(member.wardIds).toContain(a.wards[0]!.id);
    expect(ofWard(await get(ctx.app, '/v1/staff?role=clinician', a.middleManager.token))).toEqual([a.clinician.id]);
    // Organisation-wide roles see everyone, the second ward's nurse and the managers without wards included.
    for (const token of [a.adminToken, a.seniorManager.token]) {
      const all = ofWard(await get(ctx.app, '/v1/staff', token));
      expect(all).toEqual(
        expect.arrayContaining([idsOfSecondWard.staff, a.seniorManager.id, a.governance.id, a.clinician.id]),
      );
    }
  });

  it('an organisation-wide reader may not record a briefing for any ward', async () => {
    for (const token of [a.adminToken, a.seniorManager.token, a.governance.token, a.middleManager.token]) {
      expectProblem(
        await post(ctx.app, '/v1/briefings', token, briefingBody(a.wards[0]!.id, { date: '2026-06-03' })),
        403,
      );
    }
  });
});
