/** Roles: who may call each route, as written down in access-world.ts (ACCESS) and below for the routes the OpenAPI document leaves out. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/taxonomy.js';
import { QUEUE_NAMES } from '../../src/queue/queues.js';
import { PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { briefingBody, call, expectProblem, get, type CallOptions, type Organisation } from '../helpers/fixtures.js';
import { fillHidden, hiddenRoutes, type HiddenRoute } from '../security/route-world.js';
import {
  ACCESS,
  ACCESS_METRICS_TOKEN,
  fill,
  hasBody,
  label,
  operations,
  startAccessWorld,
  tokensOf,
} from './access-world.js';

let ctx: TestContext;
/** The organisation whose objects are probed. */
let a: Organisation;
/** Another organisation, whose callers must not see them. */
let b: Organisation;

beforeAll(async () => {
  ({ ctx, a, b } = await startAccessWorld());
});
afterAll(() => ctx?.close());

/**
 * Who may call each route the OpenAPI document leaves out, by path prefix. Bull Board's queues
 * are shared by every organisation: only the platform administrator may open them. A hidden
 * route under no prefix here fails the first test below, so it is not silently left out.
 */
const HIDDEN_ACCESS: [prefix: string, access: 'public' | Role[]][] = [
  ['/admin/queues', ['platform_admin']],
  ['/docs', 'public'],
  ['/openapi.json', 'public'],
  // Outside the API's tokens and roles: behind a token of its own (METRICS_TOKEN), checked below.
  ['/metrics', 'public'],
];
const writtenAccess = (route: HiddenRoute) =>
  HIDDEN_ACCESS.find(([prefix]) => route.url === prefix || route.url.startsWith(`${prefix}/`))?.[1];
const hiddenLabel = (route: HiddenRoute) => `${route.method} ${route.path}`;
const basic = (token: string) => `Basic ${Buffer.from(`admin:${token}`).toString('base64')}`;

describe('routes the OpenAPI document leaves out', () => {
  const secured = () => hiddenRoutes(ctx).filter((route) => writtenAccess(route) !== 'public');

  it('are read from the route table, Bull Board and its API included, each with its access written down here', () => {
    const hidden = hiddenRoutes(ctx);
    expect(hidden.map(hiddenLabel)).toEqual(
      expect.arrayContaining([
        'GET /admin/queues',
        'GET /admin/queues/api/queues',
        'GET /admin/queues/api/queues/{queueName}/{jobId}',
        'PUT /admin/queues/api/queues/{queueName}/{jobId}/promote',
        'POST /admin/queues/api/queues/{queueName}/add',
        'PATCH /admin/queues/api/queues/{queueName}/{jobId}/update-data',
        'PUT /admin/queues/api/queues/{queueName}/pause',
        'PUT /admin/queues/api/queues/{queueName}/{jobId}/retry',
        'GET /openapi.json',
        'GET /metrics',
      ]),
    );
    for (const route of hidden) {
      const written = writtenAccess(route);
      expect(written, `${hiddenLabel(route)}: write down who may call it in HIDDEN_ACCESS`).toBeDefined();
      expect(route.access, `${hiddenLabel(route)} declares other roles than HIDDEN_ACCESS`).toEqual(written);
    }
    expect(secured().length).toBeGreaterThan(30);
  });

  it("GET /metrics answers 401 to every API token, the platform administrator's included: only its own token opens it", async () => {
    for (const token of [PLATFORM_TOKEN, ...tokensOf(a).map(([, , token]) => token)]) {
      expectProblem(await call(ctx.app, { method: 'GET', url: '/metrics', token }), 401);
    }
    const scraped = await call(ctx.app, { method: 'GET', url: '/metrics', token: ACCESS_METRICS_TOKEN });
    expect(scraped.status).toBe(200);
  });

  it('answer 401 without a token, with a malformed header or an unknown token', async () => {
    for (const route of secured()) {
      for (const authorization of [
        undefined,
        'Bearer wsb_not-a-real-token',
        basic('not-a-real-token'),
        `Token ${a.adminToken}`,
      ]) {
        const res = await call(ctx.app, {
          method: route.method,
          url: fillHidden(route),
          headers: authorization === undefined ? {} : { authorization },
          payload: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
        });
        expectProblem(res, 401);
      }
    }
  });

  it('a role that may never call one gets 403, reading or writing, as a bearer token or a Basic password; the others get past the role check', async () => {
    const everyone: [string, Role, string][] = [
      ...tokensOf(a),
      ...tokensOf(b),
      ['platform admin', 'platform_admin', PLATFORM_TOKEN],
    ];
    let refused = 0;
    try {
      for (const route of secured()) {
        const allowed = writtenAccess(route) as Role[];
        for (const [who, role, token] of everyone) {
          for (const authorization of [`Bearer ${token}`, basic(token)]) {
            const res = await call(ctx.app, {
              method: route.method,
              url: fillHidden(route),
              headers: { authorization },
              payload: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
            });
            const context = `${who} ${hiddenLabel(route)}: ${res.raw.slice(0, 300)}`;
            if (allowed.includes(role)) {
              expect([401, 403], context).not.toContain(res.status);
            } else {
              expectProblem(res, 403);
              expect(res.body.detail, context).toMatch(/role/);
              refused++;
            }
          }
        }
      }
      console.log(
        `[access] ${secured().length} secured routes outside the OpenAPI document: ${refused} requests of ${everyone.length - 1} tenant tokens refused with 403`,
      );
    } finally {
      // The platform administrator's calls included pausing every queue (and resuming them).
      for (const name of QUEUE_NAMES) await ctx.queues.get(name).resume();
    }
  });
});

describe('roles', () => {
  const everyone = (): [string, Role, string][] => [
    ...tokensOf(a),
    ['platform admin', 'platform_admin', PLATFORM_TOKEN],
  ];

  it('every secured route of the route table has its roles written down here, and only those routes', () => {
    const secured = operations(ctx)
      .filter((op) => op.secured)
      .map((op) => op.operationId);
    expect([...secured].sort()).toEqual(Object.keys(ACCESS).sort());
  });

  it('a role that may never call a route gets 403 whatever the request; the others get past the role check', async () => {
    for (const op of operations(ctx).filter((o) => o.secured && o.operationId in ACCESS)) {
      for (const [who, role, token] of everyone()) {
        const res = await call(ctx.app, {
          method: op.method,
          url: fill(op.path, randomUUID()),
          token,
          // An empty body: allowed roles get a validation answer, so nothing is created.
          payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
        });
        const context = `${who} ${label(op)}: ${res.raw}`;
        if (ACCESS[op.operationId]!.includes(role)) {
          expect([401, 403], context).not.toContain(res.status);
        } else {
          expectProblem(res, 403);
          expect(res.body.detail, context).toMatch(/role|platform administrator/i);
        }
      }
    }
  });

  it('governance is read-only and the platform administrator reads no tenant data, on every route', async () => {
    for (const op of operations(ctx).filter((o) => o.secured)) {
      const send = (token: string) =>
        call(ctx.app, {
          method: op.method,
          url: fill(op.path, randomUUID()),
          token,
          payload: hasBody(op) ? {} : undefined,
        });
      if (op.method !== 'GET') expectProblem(await send(a.governance.token), 403);
      // The platform administrator's own routes: organisations and their identity providers.
      if (!ACCESS[op.operationId]?.includes('platform_admin')) expectProblem(await send(PLATFORM_TOKEN), 403);
    }
  });

  it.each([
    [
      'governance',
      'POST',
      '/v1/briefings',
      () => a.governance.token,
      () => briefingBody(a.wards[0]!.id, { date: '2026-06-10' }),
    ],
    ['a ward device', 'POST', '/v1/wards', () => a.wards[0]!.deviceToken, () => ({ code: 'ZZ', name: 'Sneaky ward' })],
    [
      'a clinician',
      'POST',
      '/v1/tokens',
      () => a.clinician.token,
      () => ({ wardId: a.wards[0]!.id, label: 'my own tablet' }),
    ],
    ['an org admin', 'POST', '/v1/organisations', () => a.adminToken, () => ({ name: 'Rival trust', code: 'RIVAL1' })],
    [
      'a ward device',
      'PATCH',
      '/v1/organisation/settings',
      () => a.wards[0]!.deviceToken,
      () => ({ identifierPolicy: 'redact' }),
    ],
    [
      'a clinician',
      'POST',
      '/v1/staff',
      () => a.clinician.token,
      () => ({ name: 'Me', email: 'me@x.nhs.uk', role: 'org_admin' }),
    ],
    ['the platform admin', 'GET', '/v1/briefings', () => PLATFORM_TOKEN, () => undefined],
    ['the platform admin', 'GET', '/v1/items', () => PLATFORM_TOKEN, () => undefined],
    ['the platform admin', 'GET', '/v1/organisation', () => PLATFORM_TOKEN, () => undefined],
  ] as [string, CallOptions['method'], string, () => string, () => unknown][])(
    '%s may not %s %s, even with a valid body',
    async (_who, method, url, token, payload) => {
      const res = await call(ctx.app, { method, url, token: token(), payload: payload() });
      expectProblem(res, 403);
      expect(res.raw).not.toContain(a.wards[0]!.id);
    },
  );

  it('nothing was created by the refused requests', async () => {
    const wards = await get(ctx.app, '/v1/wards', a.adminToken);
    expect(wards.body.data.map((w: { code: string }) => w.code).sort()).toEqual(['W1', 'W2']);
    const org = await get(ctx.app, '/v1/organisation', a.adminToken);
    expect(org.body.settings.identifierPolicy).toBe('reject');
    const list = await get(ctx.app, '/v1/briefings?from=2026-06-10&to=2026-06-10', a.adminToken);
    expect(list.body.data).toEqual([]);
  });
});
