/**
 * What the access tests probe (not a test file itself): the route table read from the running
 * app, who may call each route, and two organisations, the first with objects of every kind on
 * both its wards. Shared by access-tenancy, access-authentication and access-roles.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Role } from '../../src/domain/taxonomy.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { briefingBody, call, get, post, type CallOptions, type Organisation } from '../helpers/fixtures.js';

export interface Operation {
  method: CallOptions['method'];
  /** OpenAPI form, e.g. /v1/items/{id}/resolve */
  path: string;
  operationId: string;
  secured: boolean;
}

/** Every operation of the running app, read from its own OpenAPI document (built from the route table). */
export function operations(ctx: TestContext): Operation[] {
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

export const pathParams = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
/** Another object's id, for routes that name a second object below the first, e.g. {priorityId}. */
export const OTHER_ID = randomUUID();
/** The path with `id` as its {id}, and OTHER_ID for any further parameter. */
export const fill = (path: string, id: string) =>
  path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === 'id' ? id : OTHER_ID));
export const label = (op: Operation) => `${op.method} ${op.path}`;

/**
 * Kinds of object (first path segment) that this file has no fixture for yet: features built
 * alongside these tests (escalation, notifications, priorities). Any other id route without a
 * fixture fails the first test below, so new routes are not silently left out: add an id to
 * `idsOfA` (and a body to BODIES for a write route) and remove the kind from here.
 */
export const NO_FIXTURE_YET = new Set<string>([]);

/**
 * A valid body for write routes that take an id. With one, only the id can decide the answer,
 * so a caller who may call the route must get 404. Write routes without one are sent `{}` and
 * checked only for answering exactly as they do for an id that does not exist.
 */
export const BODIES: Record<string, unknown> = {
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
  'POST /v1/items/{id}/senior-decision': {
    decision: 'accept_risk',
    reason: 'Tolerable for now',
    reviewDate: '2099-01-01',
  },
  'PATCH /v1/staff/{id}': { name: 'Renamed person' },
  'POST /v1/staff/{id}/deactivate': { reason: 'Left the trust' },
  'POST /v1/staff/{id}/reactivate': {},
  'PATCH /v1/wards/{id}': { name: 'Renamed ward' },
  'POST /v1/wards/{id}/close': { reason: 'Merged into another ward' },
  'POST /v1/wards/{id}/reopen': {},
  'POST /v1/escalations/{id}/take-over': { reason: 'Taking this on while the matron is away' },
  'POST /v1/briefings/{id}/items': {
    items: [{ kind: 'good_practice', category: 'communication', description: 'Remembered after the huddle' }],
  },
  'PATCH /v1/items/{id}': { likelihood: 1, reason: 'Graded in a hurry' },
  'POST /v1/items/{id}/void': { reason: 'Entered in error' },
  'POST /v1/items/{id}/redact': { fields: { description: 'A patient fell' }, reason: 'Named a patient' },
  'POST /v1/tokens/{id}/rotate': {},
  'PUT /v1/staff/{id}/external-id': { externalId: 'SN-0001' },
  // Filled in beforeAll, once the ids they name exist:
  // 'POST /v1/escalations/{id}/reassign', 'POST /v1/items/{id}/priorities', 'PUT /v1/wards/{id}/escalation-policy',
  // 'POST /v1/staff/{id}/cover'
};

export const resourceOf = (path: string) => path.split('/')[2]!;
export const hasBody = (op: Operation) => op.method === 'POST' || op.method === 'PATCH' || op.method === 'PUT';
/** The answer for an unreachable object must be 404 when nothing but the id can decide it. */
export const idDecides = (op: Operation) => !hasBody(op) || label(op) in BODIES;

/** The routes of the route table that take an {id} of a kind of object that `table` has an id for. */
export function idRoutes(ctx: TestContext, table: Record<string, string>) {
  return operations(ctx).filter((op) => {
    const params = pathParams(op.path);
    if (params.length === 0) return false;
    expect(params[0], `${label(op)}: routes whose first parameter is not {id} are not covered; extend this test`).toBe(
      'id',
    );
    return resourceOf(op.path) in table;
  });
}

export function request(op: Operation, id: string, token: string | undefined): CallOptions {
  const payload = hasBody(op) ? (BODIES[label(op)] ?? {}) : undefined;
  return { method: op.method, url: fill(op.path, id), token, payload };
}

/** Every token of an organisation with the role it carries. */
export function tokensOf(org: Organisation): [string, Role, string][] {
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
export const TENANT: Role[] = [
  'org_admin',
  'ward_device',
  'clinician',
  'middle_manager',
  'senior_manager',
  'governance',
];
export const ACCESS: Record<string, Role[]> = {
  createOrganisation: ['platform_admin'],
  getOwnOrganisation: TENANT,
  updateOrganisationSettings: ['org_admin'],
  createWard: ['org_admin'],
  listWards: TENANT,
  getWard: TENANT,
  updateWard: ['org_admin'],
  closeWard: ['org_admin'],
  reopenWard: ['org_admin'],
  createStaff: ['org_admin'],
  listStaff: ['org_admin', 'middle_manager', 'senior_manager'],
  getStaff: ['org_admin', 'middle_manager', 'senior_manager'],
  updateStaff: ['org_admin'],
  deactivateStaff: ['org_admin'],
  reactivateStaff: ['org_admin'],
  nameCover: ['org_admin', 'middle_manager', 'senior_manager'],
  listCover: ['org_admin', 'middle_manager', 'senior_manager'],
  cancelCover: ['org_admin', 'middle_manager', 'senior_manager'],
  issueToken: ['org_admin'],
  listTokens: ['org_admin'],
  revokeToken: ['org_admin'],
  rotateToken: ['org_admin'],
  recordBriefing: ['ward_device', 'clinician'],
  addBriefingItems: ['ward_device', 'clinician'],
  listBriefings: TENANT,
  getBriefing: TENANT,
  listItems: TENANT,
  getItem: TENANT,
  resolveItem: ['ward_device', 'clinician'],
  setClinicalPosition: ['ward_device', 'clinician'],
  unlinkRecurrence: ['ward_device', 'clinician'],
  itemTimeline: TENANT,
  amendItem: ['ward_device', 'clinician', 'org_admin'],
  voidItem: ['ward_device', 'clinician', 'org_admin'],
  redactItem: ['org_admin'],
  listItemCorrections: TENANT,
  escalateItem: ['ward_device', 'clinician'],
  putEscalationPolicy: ['org_admin'],
  getEscalationPolicy: TENANT,
  listEscalationPolicies: TENANT,
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
  takeOverEscalation: ['senior_manager'],
  listNotifications: ['middle_manager', 'senior_manager'],
  markNotificationRead: ['middle_manager', 'senior_manager'],
  createPriority: ['org_admin', 'senior_manager'],
  listPriorities: TENANT,
  updatePriority: ['org_admin', 'senior_manager'],
  linkItemToPriority: ['ward_device', 'clinician', 'middle_manager', 'senior_manager'],
  listSeniorReview: ['senior_manager'],
  decideSeniorReview: ['senior_manager'],
  unlinkItemFromPriority: ['ward_device', 'clinician', 'middle_manager', 'senior_manager'],
  verifyAuditTrail: ['org_admin', 'governance'],
  briefingPack: TENANT,
  setWebhook: ['org_admin'],
  removeWebhook: ['org_admin'],
  listWebhookDeliveries: ['org_admin'],
  setIdentityProvider: ['platform_admin'],
  getIdentityProvider: ['platform_admin'],
  removeIdentityProvider: ['platform_admin'],
  getOwnIdentityProvider: ['org_admin'],
  setStaffExternalId: ['org_admin'],
  getGovernancePack: ['org_admin', 'governance', 'senior_manager', 'middle_manager'],
  getAlignmentReport: ['org_admin', 'governance', 'senior_manager', 'middle_manager', 'clinician', 'ward_device'],
  getSpcChart: ['org_admin', 'governance', 'senior_manager', 'middle_manager', 'clinician', 'ward_device'],
  getThreatRanking: ['org_admin', 'governance', 'senior_manager', 'middle_manager'],
  getAlignmentByLevel: ['org_admin', 'governance', 'senior_manager', 'middle_manager'],
  exportFhir: ['org_admin', 'governance', 'senior_manager', 'middle_manager'],
};

export interface AccessWorld {
  ctx: TestContext;
  /** The organisation whose objects are probed. */
  a: Organisation;
  /** Another organisation, whose callers must not see them. */
  b: Organisation;
  /** Ids of the organisation `a` for each kind of object in a path, by its first segment. */
  idsOfA: Record<string, string>;
  /** Objects on a's second ward, for ward-scoped callers of the first ward. */
  idsOfSecondWard: Record<string, string>;
}

/** The token of GET /metrics in the access world, so that the route is there to be checked. */
export const ACCESS_METRICS_TOKEN = 'access-world-metrics-token-0123456789';

/** The test context and both organisations, with an object of every kind; for a file's beforeAll. */
export async function startAccessWorld(): Promise<AccessWorld> {
  const {
    ctx,
    org: a,
    other: b,
  } = await startApiTest({
    organisations: 2,
    env: { METRICS_TOKEN: ACCESS_METRICS_TOKEN },
  });

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
  // A valid deputy and range: only the staff id in the path can decide the answer.
  BODIES['POST /v1/staff/{id}/cover'] = {
    deputyStaffId: a.seniorManager.id,
    from: '2099-01-01',
    to: '2099-01-07',
  };
  const idsOfA = {
    organisations: a.id,
    wards: a.wards[0]!.id,
    staff: a.clinician.id,
    tokens: spare.body.id,
    briefings: first.body.id,
    items: first.body.items[0].id,
    escalations: first.body.items[0].escalation.id,
    notifications: notifications.body.data[0].id,
    priorities: priority.body.id,
  };
  const idsOfSecondWard = {
    wards: a.wards[1]!.id,
    staff: secondWardNurse.body.id,
    briefings: second.body.id,
    items: second.body.items[0].id,
    escalations: second.body.items[0].escalation.id,
  };
  return { ctx, a, b, idsOfA, idsOfSecondWard };
}
