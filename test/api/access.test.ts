import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/taxonomy.js';
import { QUEUE_NAMES } from '../../src/queue/queues.js';
import { PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import {
  briefingBody,
  call,
  createOrganisation,
  del,
  expectProblem,
  get,
  post,
  type ApiResponse,
  type CallOptions,
  type Organisation,
} from '../helpers/fixtures.js';
import { fillHidden, hiddenRoutes, type HiddenRoute } from '../security/route-world.js';

let ctx: TestContext;
/** The organisation whose objects are probed. */
let a: Organisation;
/** Another organisation, whose callers must not see them. */
let b: Organisation;

interface Operation {
  method: CallOptions['method'];
  /** OpenAPI form, e.g. /v1/items/{id}/resolve */
  path: string;
  operationId: string;
  secured: boolean;
}

/** Every operation of the running app, read from its own OpenAPI document (built from the route table). */
function operations(): Operation[] {
  const document = ctx.app.swagger() as {
    security?: unknown[];
    paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>;
  };
  const found: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      found.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        operationId: operation.operationId ?? `${method} ${path}`,
        secured: (operation.security ?? document.security ?? []).length > 0,
      });
    }
  }
  return found;
}

const pathParams = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
/** Another object's id, for routes that name a second object below the first, e.g. {priorityId}. */
const OTHER_ID = randomUUID();
/** The path with `id` as its {id}, and OTHER_ID for any further parameter. */
const fill = (path: string, id: string) => path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === 'id' ? id : OTHER_ID));
const label = (op: Operation) => `${op.method} ${op.path}`;

/** Ids of the organisation `a` for each kind of object in a path, by its first segment. */
let idsOfA: Record<string, string>;
/** Objects on a's second ward, for ward-scoped callers of the first ward. */
let idsOfSecondWard: Record<string, string>;

/**
 * Kinds of object (first path segment) that this file has no fixture for yet: features built
 * alongside these tests (escalation, notifications, priorities). Any other id route without a
 * fixture fails the first test below, so new routes are not silently left out: add an id to
 * `idsOfA` (and a body to BODIES for a write route) and remove the kind from here.
 */
const NO_FIXTURE_YET = new Set<string>([]);

/**
 * A valid body for write routes that take an id. With one, only the id can decide the answer,
 * so a caller who may call the route must get 404. Write routes without one are sent `{}` and
 * checked only for answering exactly as they do for an id that does not exist.
 */
const BODIES: Record<string, unknown> = {
  'POST /v1/items/{id}/resolve': { note: 'Fixed on the ward' },
  'POST /v1/items/{id}/escalate': { reason: 'Needs estates to replace the unit' },
  'POST /v1/items/{id}/clinical-position': { needsChange: true },
  'POST /v1/escalations/{id}/acknowledge': {},
  'POST /v1/escalations/{id}/position': { stance: 'agree', rationale: 'Agreed' },
  'POST /v1/escalations/{id}/actions': { description: 'Order a new unit', dueDate: '2026-12-01' },
  'POST /v1/escalations/{id}/resolve': { outcome: 'fixed', note: 'Replaced' },
  'POST /v1/escalations/{id}/escalate': { reason: 'Needs the director' },
  'POST /v1/escalations/{id}/snooze': { until: '2099-01-01T00:00:00Z', reason: 'Waiting for parts' },
  'POST /v1/escalations/{id}/comment': { text: 'Chased' },
  'PATCH /v1/priorities/{id}': { active: true },
  // Filled in beforeAll, once the ids they name exist:
  // 'POST /v1/escalations/{id}/reassign', 'POST /v1/items/{id}/priorities', 'PUT /v1/wards/{id}/escalation-policy'
};

const resourceOf = (path: string) => path.split('/')[2]!;
const hasBody = (op: Operation) => op.method === 'POST' || op.method === 'PATCH' || op.method === 'PUT';
/** The answer for an unreachable object must be 404 when nothing but the id can decide it. */
const idDecides = (op: Operation) => !hasBody(op) || label(op) in BODIES;

/** The routes of the route table that take an {id} of a kind of object that `table` has an id for. */
function idRoutes(table: Record<string, string>) {
  return operations().filter((op) => {
    const params = pathParams(op.path);
    if (params.length === 0) return false;
    expect(params[0], `${label(op)}: routes whose first parameter is not {id} are not covered; extend this test`).toBe('id');
    return resourceOf(op.path) in table;
  });
}

function request(op: Operation, id: string, token: string | undefined): CallOptions {
  const payload = hasBody(op) ? (BODIES[label(op)] ?? {}) : undefined;
  return { method: op.method, url: fill(op.path, id), token, payload };
}

/** Every token of an organisation with the role it carries. */
function tokensOf(org: Organisation): [string, Role, string][] {
  return [
    ['org admin', 'org_admin', org.adminToken],
    ['first ward device', 'ward_device', org.wards[0]!.deviceToken],
    ['second ward device', 'ward_device', org.wards[1]!.deviceToken],
    ['clinician', 'clinician', org.clinician.token],
    ['middle manager', 'middle_manager', org.middleManager.token],
    ['senior manager', 'senior_manager', org.seniorManager.token],
    ['governance', 'governance', org.governance.token],
  ];
}

/** Who may call each route of the capture API, as the README describes it. */
const TENANT: Role[] = ['org_admin', 'ward_device', 'clinician', 'middle_manager', 'senior_manager', 'governance'];
const ACCESS: Record<string, Role[]> = {
  createOrganisation: ['platform_admin'],
  getOwnOrganisation: TENANT,
  updateOrganisationSettings: ['org_admin'],
  createWard: ['org_admin'],
  listWards: TENANT,
  getWard: TENANT,
  createStaff: ['org_admin'],
  listStaff: ['org_admin', 'middle_manager', 'senior_manager'],
  getStaff: ['org_admin', 'middle_manager', 'senior_manager'],
  issueToken: ['org_admin'],
  listTokens: ['org_admin'],
  revokeToken: ['org_admin'],
  recordBriefing: ['ward_device', 'clinician'],
  listBriefings: TENANT,
  getBriefing: TENANT,
  listItems: TENANT,
  getItem: TENANT,
  resolveItem: ['ward_device', 'clinician'],
  setClinicalPosition: ['ward_device', 'clinician'],
  unlinkRecurrence: ['ward_device', 'clinician'],
  itemTimeline: TENANT,
  escalateItem: ['ward_device', 'clinician'],
  putEscalationPolicy: ['org_admin'],
  getEscalationPolicy: TENANT,
  listUnroutedItems: TENANT,
  inbox: ['middle_manager', 'senior_manager'],
  getEscalation: TENANT,
  acknowledgeEscalation: ['middle_manager', 'senior_manager'],
  positionEscalation: ['middle_manager', 'senior_manager'],
  actionsEscalation: ['middle_manager', 'senior_manager'],
  resolveEscalation: ['middle_manager', 'senior_manager'],
  reassignEscalation: ['middle_manager', 'senior_manager'],
  escalateEscalation: ['middle_manager', 'senior_manager'],
  snoozeEscalation: ['middle_manager', 'senior_manager'],
  commentEscalation: ['middle_manager', 'senior_manager'],
  listNotifications: ['middle_manager', 'senior_manager'],
  markNotificationRead: ['middle_manager', 'senior_manager'],
  createPriority: ['org_admin', 'senior_manager'],
  listPriorities: TENANT,
  updatePriority: ['org_admin', 'senior_manager'],
  linkItemToPriority: ['ward_device', 'clinician', 'middle_manager', 'senior_manager'],
  unlinkItemFromPriority: ['ward_device', 'clinician', 'middle_manager', 'senior_manager'],
  verifyAuditTrail: ['org_admin', 'governance'],
  briefingPack: TENANT,
  setWebhook: ['org_admin'],
  removeWebhook: ['org_admin'],
  listWebhookDeliveries: ['org_admin'],
  getGovernancePack: ['org_admin', 'governance', 'senior_manager', 'middle_manager'],
  getAlignmentReport: ['org_admin', 'governance', 'senior_manager', 'middle_manager'],
  getSpcChart: ['org_admin', 'governance', 'senior_manager', 'middle_manager'],
  getThreatRanking: ['org_admin', 'governance', 'senior_manager', 'middle_manager'],
  exportFhir: ['org_admin', 'governance', 'senior_manager', 'middle_manager'],
};

beforeAll(async () => {
  ({ ctx, org: a, other: b } = await startApiTest({ organisations: 2 }));

  // Escalation policies first, so the briefings' high-risk items are escalated: ward 1 to its
  // middle manager, ward 2 to the senior manager (so ward 1's staff hold nothing on ward 2).
  for (const [ward, manager] of [
    [a.wards[0]!, a.middleManager],
    [a.wards[1]!, a.seniorManager],
  ] as const) {
    const policy = await call(ctx.app, {
      method: 'PUT',
      url: `/v1/wards/${ward.id}/escalation-policy`,
      token: a.adminToken,
      payload: { levels: [{ staffId: manager.id }] },
    });
    expect(policy.status, policy.raw).toBe(200);
  }
  const first = await post(ctx.app, '/v1/briefings', a.wards[0]!.deviceToken, briefingBody(a.wards[0]!.id));
  const second = await post(ctx.app, '/v1/briefings', a.wards[1]!.deviceToken, briefingBody(a.wards[1]!.id));
  expect(first.status, first.raw).toBe(201);
  expect(second.status, second.raw).toBe(201);
  const secondWardNurse = await post(ctx.app, '/v1/staff', a.adminToken, {
    name: 'Second ward nurse',
    email: `second.ward.nurse.${a.code.toLowerCase()}@example.nhs.uk`,
    role: 'clinician',
    wardIds: [a.wards[1]!.id],
  });
  expect(secondWardNurse.status, secondWardNurse.raw).toBe(201);
  const spare = await post(ctx.app, '/v1/tokens', a.adminToken, { staffId: a.governance.id, label: 'spare' });
  expect(spare.status, spare.raw).toBe(201);
  const priority = await post(ctx.app, '/v1/priorities', a.adminToken, {
    title: 'Reliable equipment',
    level: 'organisation',
    ownerStaffId: a.seniorManager.id,
  });
  expect(priority.status, priority.raw).toBe(201);
  const notifications = await get(ctx.app, '/v1/notifications', a.middleManager.token);
  expect(notifications.body.data.length, notifications.raw).toBeGreaterThan(0);
  BODIES['POST /v1/escalations/{id}/reassign'] = { staffId: a.seniorManager.id, reason: 'Handing over' };
  BODIES['POST /v1/items/{id}/priorities'] = { priorityId: priority.body.id };
  BODIES['PUT /v1/wards/{id}/escalation-policy'] = { levels: [{ staffId: a.seniorManager.id }] };
  idsOfA = {
    wards: a.wards[0]!.id,
    staff: a.clinician.id,
    tokens: spare.body.id,
    briefings: first.body.id,
    items: first.body.items[0].id,
    escalations: first.body.items[0].escalation.id,
    notifications: notifications.body.data[0].id,
    priorities: priority.body.id,
  };
  idsOfSecondWard = {
    wards: a.wards[1]!.id,
    staff: secondWardNurse.body.id,
    briefings: second.body.id,
    items: second.body.items[0].id,
    escalations: second.body.items[0].escalation.id,
  };
});
afterAll(() => ctx?.close());

describe('the route table', () => {
  it('is read from the running app and includes the id routes', () => {
    const withIds = operations().filter((op) => op.path.includes('{'));
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
    const probed = idRoutes(idsOfA).map(label);
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
    const routes = idRoutes(idsOfA);
    expect(routes.length).toBeGreaterThanOrEqual(6);
    for (const op of routes) {
      const id = idsOfA[resourceOf(op.path)]!;
      let notFound = 0;
      for (const [who, role, token] of tokensOf(b)) {
        const status = await expectUnreachable(op, id, `${b.code} ${who}`, token);
        if (status === 404) notFound++;
        if (status === 403) expect(ACCESS[op.operationId] ?? [], `${who} got 403 on ${label(op)}`).not.toContain(role);
      }
      if (idDecides(op)) {
        expect(notFound, `${label(op)}: no caller of the other organisation reached the ownership check`).toBeGreaterThan(0);
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
      ['POST /v1/staff {wardIds}', (id) => post(ctx.app, '/v1/staff', b.adminToken, { name: 'X', email: `${id}@x.nhs.uk`, role: 'clinician', wardIds: [id] })],
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
        for (const id of [...Object.values(idsOfA), ...Object.values(idsOfSecondWard)]) expect(listed).not.toContain(id);
      }
    }
    const staff = await get(ctx.app, '/v1/staff', b.adminToken);
    expect(JSON.stringify(staff.body)).not.toContain(a.clinician.id);
  });
});

describe('objects of another ward of the same organisation', () => {
  it('answer 404 to the first ward\'s device, clinician and middle manager', async () => {
    const wardScoped = tokensOf(a).filter(([who]) => ['first ward device', 'clinician', 'middle manager'].includes(who));
    for (const op of idRoutes(idsOfSecondWard)) {
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
    const own = await post(ctx.app, '/v1/briefings', a.clinician.token, briefingBody(a.wards[0]!.id, { date: '2026-06-01' }));
    expect(own.status, own.raw).toBe(201);
    const other = await post(ctx.app, '/v1/briefings', a.clinician.token, briefingBody(a.wards[1]!.id, { date: '2026-06-01' }));
    expectProblem(other, 404);
    const otherDevice = await post(ctx.app, '/v1/briefings', a.wards[1]!.deviceToken, briefingBody(a.wards[0]!.id, { date: '2026-06-02' }));
    expectProblem(otherDevice, 404);
    for (const url of [`/v1/briefings?wardId=${a.wards[1]!.id}`, `/v1/items?wardId=${a.wards[1]!.id}`, `/v1/wards/${a.wards[1]!.id}`]) {
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
      expect(all).toEqual(expect.arrayContaining([idsOfSecondWard.staff, a.seniorManager.id, a.governance.id, a.clinician.id]));
    }
  });

  it('an organisation-wide reader may not record a briefing for any ward', async () => {
    for (const token of [a.adminToken, a.seniorManager.token, a.governance.token, a.middleManager.token]) {
      expectProblem(await post(ctx.app, '/v1/briefings', token, briefingBody(a.wards[0]!.id, { date: '2026-06-03' })), 403);
    }
  });
});

describe('authentication', () => {
  it('every secured route answers 401 without a token, with a malformed header, or an unknown token', async () => {
    const secured = operations().filter((op) => op.secured);
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
    const open = operations().filter((op) => !op.secured);
    expect(open.map(label)).toEqual(expect.arrayContaining(['GET /health', 'GET /ready']));
    for (const op of open) expect((await call(ctx.app, { method: op.method, url: op.path })).status, label(op)).toBe(200);
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

    for (const op of operations().filter((o) => o.secured)) {
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

/**
 * Who may call each route the OpenAPI document leaves out, by path prefix. Bull Board's queues
 * are shared by every organisation: only the platform administrator may open them. A hidden
 * route under no prefix here fails the first test below, so it is not silently left out.
 */
const HIDDEN_ACCESS: [prefix: string, access: 'public' | Role[]][] = [
  ['/admin/queues', ['platform_admin']],
  ['/docs', 'public'],
  ['/openapi.json', 'public'],
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
      ]),
    );
    for (const route of hidden) {
      const written = writtenAccess(route);
      expect(written, `${hiddenLabel(route)}: write down who may call it in HIDDEN_ACCESS`).toBeDefined();
      expect(route.access, `${hiddenLabel(route)} declares other roles than HIDDEN_ACCESS`).toEqual(written);
    }
    expect(secured().length).toBeGreaterThan(30);
  });

  it('answer 401 without a token, with a malformed header or an unknown token', async () => {
    for (const route of secured()) {
      for (const authorization of [undefined, 'Bearer wsb_not-a-real-token', basic('not-a-real-token'), `Token ${a.adminToken}`]) {
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
    const everyone: [string, Role, string][] = [...tokensOf(a), ...tokensOf(b), ['platform admin', 'platform_admin', PLATFORM_TOKEN]];
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
      console.log(`[access] ${secured().length} secured routes outside the OpenAPI document: ${refused} requests of ${everyone.length - 1} tenant tokens refused with 403`);
    } finally {
      // The platform administrator's calls included pausing every queue (and resuming them).
      for (const name of QUEUE_NAMES) await ctx.queues.get(name).resume();
    }
  });
});

describe('roles', () => {
  const everyone = (): [string, Role, string][] => [...tokensOf(a), ['platform admin', 'platform_admin', PLATFORM_TOKEN]];

  it('every secured route of the route table has its roles written down here, and only those routes', () => {
    const secured = operations()
      .filter((op) => op.secured)
      .map((op) => op.operationId);
    expect([...secured].sort()).toEqual(Object.keys(ACCESS).sort());
  });

  it('a role that may never call a route gets 403 whatever the request; the others get past the role check', async () => {
    for (const op of operations().filter((o) => o.secured && o.operationId in ACCESS)) {
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
    for (const op of operations().filter((o) => o.secured)) {
      const send = (token: string) =>
        call(ctx.app, { method: op.method, url: fill(op.path, randomUUID()), token, payload: hasBody(op) ? {} : undefined });
      if (op.method !== 'GET') expectProblem(await send(a.governance.token), 403);
      if (op.operationId !== 'createOrganisation') expectProblem(await send(PLATFORM_TOKEN), 403);
    }
  });

  it.each([
    ['governance', 'POST', '/v1/briefings', () => a.governance.token, () => briefingBody(a.wards[0]!.id, { date: '2026-06-10' })],
    ['a ward device', 'POST', '/v1/wards', () => a.wards[0]!.deviceToken, () => ({ code: 'ZZ', name: 'Sneaky ward' })],
    ['a clinician', 'POST', '/v1/tokens', () => a.clinician.token, () => ({ wardId: a.wards[0]!.id, label: 'my own tablet' })],
    ['an org admin', 'POST', '/v1/organisations', () => a.adminToken, () => ({ name: 'Rival trust', code: 'RIVAL1' })],
    ['a ward device', 'PATCH', '/v1/organisation/settings', () => a.wards[0]!.deviceToken, () => ({ identifierPolicy: 'redact' })],
    ['a clinician', 'POST', '/v1/staff', () => a.clinician.token, () => ({ name: 'Me', email: 'me@x.nhs.uk', role: 'org_admin' })],
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
