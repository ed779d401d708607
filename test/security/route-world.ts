/**
 * The route table of the running app (its own OpenAPI document) and, for every route, a real
 * object to aim at, a token that may call it and a valid body to start from. Shared by the
 * fuzzing and mass-assignment tests (not a test file itself).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Role } from '../../src/domain/taxonomy.js';
import { PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { putPolicy } from '../helpers/escalation.js';
import { briefingBody, call, createOrganisation, get, post, type Organisation } from '../helpers/fixtures.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  default?: unknown;
  [key: string]: unknown;
}

export interface Operation {
  method: Method;
  /** OpenAPI form, e.g. /v1/items/{id}/resolve */
  path: string;
  operationId: string;
  secured: boolean;
  body: JsonSchema | null;
  query: { name: string; required: boolean; schema: JsonSchema }[];
}

export const label = (op: Pick<Operation, 'method' | 'path'>) => `${op.method} ${op.path}`;
export const isWrite = (op: Operation) => op.method !== 'GET';

/** Every operation of the running app, from its own OpenAPI document (built from the route table). */
export function operations(ctx: TestContext): Operation[] {
  const document = ctx.app.swagger() as {
    security?: unknown[];
    paths: Record<
      string,
      Record<
        string,
        {
          operationId?: string;
          security?: unknown[];
          requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
          parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
        }
      >
    >;
  };
  const found: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      found.push({
        method: method.toUpperCase() as Method,
        path,
        operationId: operation.operationId ?? `${method} ${path}`,
        secured: (operation.security ?? document.security ?? []).length > 0,
        body: operation.requestBody?.content?.['application/json']?.schema ?? null,
        query: (operation.parameters ?? [])
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: p.required === true, schema: p.schema ?? {} })),
      });
    }
  }
  return found;
}

/** A route the OpenAPI document leaves out (Bull Board, the docs pages), from the app's route table. */
export interface HiddenRoute {
  method: Method;
  /** As registered, e.g. /admin/queues/api/queues/:queueName/:jobId/promote */
  url: string;
  /** OpenAPI form, e.g. /admin/queues/api/queues/{queueName}/{jobId}/promote */
  path: string;
  /** Who may call it, as the route declares it. */
  access: 'public' | readonly Role[] | undefined;
}

const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Every route of the running app's route table that its OpenAPI document leaves out, so the
 * access tests cover those too, and any such route added later.
 */
export function hiddenRoutes(ctx: TestContext): HiddenRoute[] {
  const documented = new Set(operations(ctx).map(label));
  const seen = new Set<string>();
  const found: HiddenRoute[] = [];
  for (const route of ctx.app.routeTable) {
    if (!METHODS.includes(route.method)) continue;
    const hidden = {
      method: route.method as Method,
      url: route.url,
      path: route.url.replace(/:([\w-]+)/g, '{$1}'),
      access: route.access,
    };
    if (documented.has(label(hidden)) || seen.has(label(hidden))) continue;
    seen.add(label(hidden));
    found.push(hidden);
  }
  return found;
}

/** The route's URL with a made-up value for each parameter and wildcard (naming no real object). */
export const fillHidden = (route: HiddenRoute) =>
  route.url.replace(/:([\w-]+)/g, () => `x${randomUUID().slice(0, 8)}`).replace(/\*$/, 'x');

/** The objects every route is aimed at: one organisation with a bit of everything. */
export interface World {
  org: Organisation;
  /** Another organisation, for foreign ids. */
  other: Organisation;
  briefingId: string;
  /** Open items, each with an open escalation at the middle manager. */
  escalatedItems: { itemId: string; escalationId: string }[];
  /** Open items of low risk, not escalated. */
  quietItems: string[];
  priorityId: string;
  notificationId: string;
  spareTokenId: string;
  /** A clinician of no other use, whom the staff lifecycle routes edit, deactivate and reactivate. */
  spareStaffId: string;
}

const HIGH_RISK = (description: string) => ({
  kind: 'problem',
  category: 'equipment',
  description,
  consequence: 4,
  likelihood: 3,
  needsChange: true,
});

/** Distinct wording, so no item is taken as a repeat of another. */
const WORDS = [
  'pump',
  'scanner',
  'hoist',
  'monitor',
  'bed',
  'door',
  'fridge',
  'printer',
  'trolley',
  'light',
  'sink',
  'phone',
  'suction',
  'oximeter',
  'thermometer',
  'commode',
  'defibrillator',
  'ventilator',
  'syringe',
  'mattress',
];

/** Builds the world through the API itself, as a ward and its managers would. */
export async function buildWorld(ctx: TestContext, escalations = 16): Promise<World> {
  const org = await createOrganisation(ctx.app);
  const other = await createOrganisation(ctx.app);
  const ward = org.wards[0]!;
  await putPolicy(ctx, org, ward.id, {
    levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
    ackWithinSeconds: { high: 3_600 },
    maxRepeats: 0,
  });
  const briefing = await post(
    ctx.app,
    '/v1/briefings',
    ward.deviceToken,
    briefingBody(ward.id, {
      date: '2026-10-01',
      items: [
        ...WORDS.slice(0, escalations).map((w, i) => HIGH_RISK(`The ${w} in bay ${i + 1} keeps failing its check`)),
        ...['blinds', 'clock', 'rota board', 'noticeboard'].map((w) => ({
          kind: 'risk',
          category: 'estates_environment',
          description: `The ${w} is loose`,
          consequence: 1,
          likelihood: 2,
        })),
      ],
    }),
  );
  expect(briefing.status, briefing.raw).toBe(201);
  const created = briefing.body.items as { id: string; escalation: { id: string } | null }[];
  const escalatedItems = created
    .filter((i) => i.escalation)
    .map((i) => ({ itemId: i.id, escalationId: i.escalation!.id }));
  expect(escalatedItems).toHaveLength(escalations);
  const quietItems = created.filter((i) => !i.escalation).map((i) => i.id);

  const priorityId = await createLinkedPriority(ctx, org, quietItems[0]!);

  const notifications = await get(ctx.app, '/v1/notifications', org.middleManager.token);
  expect(notifications.status, notifications.raw).toBe(200);
  const notificationId = (notifications.body.data ?? notifications.body)[0]?.id as string;
  expect(notificationId).toEqual(expect.any(String));

  const spare = await post(ctx.app, '/v1/tokens', org.adminToken, { wardId: org.wards[1]!.id, label: 'spare tablet' });
  expect(spare.status, spare.raw).toBe(201);
  const spareStaff = await post(ctx.app, '/v1/staff', org.adminToken, {
    name: 'Spare Clinician',
    email: 'spare.clinician@example.nhs.uk',
    role: 'clinician',
    wardIds: [org.wards[1]!.id],
  });
  expect(spareStaff.status, spareStaff.raw).toBe(201);

  return {
    org,
    other,
    briefingId: briefing.body.id,
    escalatedItems,
    quietItems,
    priorityId,
    notificationId,
    spareTokenId: spare.body.id,
    spareStaffId: spareStaff.body.id,
  };
}

/** An organisation-wide priority with one item linked to it. */
async function createLinkedPriority(ctx: TestContext, org: Organisation, itemId: string): Promise<string> {
  const priority = await post(ctx.app, '/v1/priorities', org.adminToken, {
    title: 'Reliable equipment',
    level: 'organisation',
    ownerStaffId: org.seniorManager.id,
  });
  expect(priority.status, priority.raw).toBe(201);
  const link = await post(ctx.app, `/v1/items/${itemId}/priorities`, org.middleManager.token, {
    priorityId: priority.body.id,
  });
  expect(link.status, link.raw).toBeLessThan(300);
  return priority.body.id as string;
}

const WARD_LIFECYCLE = new Set(['updateWard', 'closeWard', 'reopenWard']);
const STAFF_LIFECYCLE = new Set(['updateStaff', 'deactivateStaff', 'reactivateStaff']);

/**
 * The object a route is aimed at. Routes that change an item or an escalation each get one of
 * their own, so one route's fuzzing (resolving, reassigning...) leaves the others' targets open.
 */
export function pathFor(world: World, op: Operation, index: number): string {
  const resource = op.path.split('/')[2];
  const own = world.escalatedItems[index % world.escalatedItems.length]!;
  const ids: Record<string, string> = {
    // Closing a ward revokes its device token, which other routes use: the lifecycle routes get the second ward.
    wards: WARD_LIFECYCLE.has(op.operationId) ? world.org.wards[1]!.id : world.org.wards[0]!.id,
    // A manager's cover is named by the manager (the token chosen for those routes) for themself.
    staff:
      op.path.endsWith('/cover') || op.path.includes('/cover/')
        ? world.org.middleManager.id
        : STAFF_LIFECYCLE.has(op.operationId)
          ? world.spareStaffId
          : world.org.clinician.id,
    tokens: world.spareTokenId,
    briefings: world.briefingId,
    items:
      op.method === 'GET'
        ? own.itemId
        : op.operationId === 'unlinkItemFromPriority'
          ? world.quietItems[0]!
          : own.itemId,
    escalations: own.escalationId,
    notifications: world.notificationId,
    priorities: world.priorityId,
  };
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (name === 'priorityId') return world.priorityId;
    if (name !== 'id') return randomUUID();
    return ids[resource ?? ''] ?? randomUUID();
  });
}

/** The query string of a valid request: each required parameter with a value it accepts. */
export function validQuery(world: World, op: Operation): string {
  const values: Record<string, string> = { from: '2026-01-01', to: '2026-12-31' };
  const pairs = op.query
    .filter((q) => q.required)
    .map((q) => [q.name, values[q.name] ?? String(exampleOf(q.schema, world))] as const);
  return pairs.length ? `?${pairs.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join('&')}` : '';
}

/** A valid body for each write route that takes one: what the fuzzer starts from. */
export function validBody(world: World, op: Operation): unknown {
  const { org } = world;
  const ward = org.wards[0]!;
  const bodies: Record<string, () => unknown> = {
    createOrganisation: () => ({ name: 'Fuzz trust', code: `FZ${Math.floor(Math.random() * 1e8)}` }),
    updateOrganisationSettings: () => ({ identifierPolicy: 'reject' }),
    setWebhook: () => ({ url: 'https://127.0.0.1:9/hook' }),
    createWard: () => ({ code: 'FZ1', name: 'Fuzz ward', site: 'Main site', division: 'Medicine' }),
    createStaff: () => ({
      name: 'Fuzz Person',
      email: 'fuzz.person@example.nhs.uk',
      role: 'clinician',
      wardIds: [ward.id],
    }),
    issueToken: () => ({ wardId: ward.id, label: 'fuzz tablet' }),
    updateWard: () => ({ name: 'Renamed by the fuzzer' }),
    decideSeniorReview: () => ({ decision: 'accept_risk', reason: 'Reviewed at the board', reviewDate: '2099-01-01' }),
    updateStaff: () => ({ name: 'Renamed Clinician' }),
    recordBriefing: () => briefingBody(ward.id, { date: '2026-06-01' }),
    setClinicalPosition: () => ({ needsChange: true, rationale: 'Needs estates to act' }),
    resolveItem: () => ({ note: 'Fixed on the ward' }),
    putEscalationPolicy: () => ({
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 3_600 },
      repeatEverySeconds: 3_600,
      maxRepeats: 0,
      minBandToEscalate: 'moderate',
      categoryRoutes: { equipment: org.middleManager.id },
    }),
    escalateItem: () => ({ reason: 'Needs estates to replace the unit' }),
    acknowledgeEscalation: () => ({}),
    positionEscalation: () => ({ stance: 'agree', rationale: 'Change is needed' }),
    actionsEscalation: () => ({ description: 'Order a replacement', dueDate: '2027-02-01' }),
    resolveEscalation: () => ({ outcome: 'fixed', note: 'Replaced' }),
    reassignEscalation: () => ({ staffId: org.seniorManager.id, reason: 'Covering this week' }),
    escalateEscalation: () => ({ reason: 'Needs the director' }),
    snoozeEscalation: () => ({ until: '2027-01-01T10:00:00Z', reason: 'Waiting for the supplier' }),
    commentEscalation: () => ({ text: 'Looked at it this morning' }),
    takeOverEscalation: () => ({ reason: 'Taking this on while the matron is away' }),
    nameCover: () => ({ deputyStaffId: org.seniorManager.id, from: '2099-01-01', to: '2099-01-07' }),
    createPriority: () => ({ title: 'Fewer falls', level: 'organisation', ownerStaffId: org.seniorManager.id }),
    updatePriority: () => ({ title: 'Reliable equipment', active: true }),
    linkItemToPriority: () => ({ priorityId: world.priorityId }),
    addBriefingItems: () => ({
      items: [
        {
          kind: 'risk',
          category: 'staffing',
          description: 'No second checker at night',
          consequence: 3,
          likelihood: 3,
        },
      ],
    }),
    amendItem: () => ({ likelihood: 5, reason: 'Regraded with the nurse in charge' }),
    voidItem: () => ({ reason: 'Entered in error' }),
    redactItem: () => ({ fields: { description: 'A pump failed its check' }, reason: 'Named a patient' }),
  };
  const known = bodies[op.operationId];
  if (known) return known();
  // A route added after this file: a body derived from its schema, so it is fuzzed all the same.
  return op.body ? exampleOf(op.body, world) : undefined;
}

/** A value that satisfies the schema's types and required fields (best effort). */
export function exampleOf(schema: JsonSchema, world: World): unknown {
  const variant = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (variant) return exampleOf(variant, world);
  if (schema.enum?.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) out[name] = exampleOf(schema.properties?.[name] ?? {}, world);
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => exampleOf(schema.items ?? {}, world));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (schema.format === 'uuid') return world.org.wards[0]!.id;
      if (schema.format === 'date') return '2027-01-01';
      if (schema.format === 'date-time') return '2027-01-01T10:00:00Z';
      if (schema.format === 'email') return 'someone@example.nhs.uk';
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    default:
      return null;
  }
}

/**
 * A token that may call the route: the first, in this order, that gets past the role check
 * (a request with a random id and an empty body, refused before any handler runs).
 */
export async function tokenFor(ctx: TestContext, world: World, op: Operation): Promise<string> {
  const { org } = world;
  const candidates = [
    org.middleManager.token, // the assignee of every escalation
    org.wards[0]!.deviceToken,
    org.adminToken,
    org.seniorManager.token,
    org.clinician.token,
    org.governance.token,
    PLATFORM_TOKEN,
  ];
  for (const token of candidates) {
    const res = await call(ctx.app, {
      method: op.method,
      url: op.path.replace(/\{[^}]+\}/g, () => randomUUID()),
      token,
      payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : { __probe__: true },
    });
    if (res.status !== 403 && res.status !== 401) return token;
  }
  throw new Error(`no token may call ${label(op)}`);
}
