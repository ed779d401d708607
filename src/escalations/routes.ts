import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { MANAGERS, ORG_ADMIN, TENANT_ROLES, WARD_STAFF } from '../auth/roles.js';
import type { ServiceDeps } from '../deps.js';
import { ESCALATION_ACTIONS, ESCALATION_STATES, type EscalationAction } from '../domain/escalation.js';
import { RISK_BANDS } from '../domain/risk.js';
import { pageOf, pageQuery } from '../http/pagination.js';
import { commonErrors, freeText, idParams, problemSchema, type RouteApp } from '../http/schemas.js';
import { presentItems } from '../items/present.js';
import { itemSchema } from '../items/schemas.js';
import { actOnEscalation } from './actions.js';
import { getPolicy, listPolicies, putPolicy } from './policy.js';
import { takeOverEscalation } from './take-over.js';
import { escalateItemManually } from './engine.js';
import { resolveItemAtWard } from './ward-resolution.js';
import { getEscalation, inbox, unroutedItems } from './queries.js';
import {
  ACTION_BODIES,
  escalationSchema,
  escalationText,
  inboxEntrySchema,
  policyInputSchema,
  policySchema,
} from './schemas.js';

const ACTION_SUMMARIES: Record<EscalationAction, string> = {
  acknowledge: 'Acknowledge: stops the chain climbing',
  position: "Record the manager's view: does change need to happen?",
  actions: 'Plan an action with a due date (moves the escalation to in_progress)',
  resolve: 'Resolve with an outcome; the item is resolved too',
  reassign: 'Hand over to another manager, with a fresh deadline',
  escalate: 'Engage the next level now',
  snooze: 'Pause reminders until a time (the deadline still stands)',
  comment: 'Add a comment to the history',
};

const ESCALATION_READERS = [
  'org_admin',
  'governance',
  'middle_manager',
  'senior_manager',
  'ward_device',
  'clinician',
] as const;

/** A ward's escalation policy: set, read, and listed across the caller's wards. */
function policyRoutes(app: RouteApp, { db }: ServiceDeps) {
  app.put(
    '/v1/wards/:id/escalation-policy',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'putEscalationPolicy',
        tags: ['escalation'],
        summary: "Set the ward's escalation chain and deadlines",
        description:
          'Running escalations keep the chain they started with; the policy applies to new ones. Naming a deactivated manager is 422.',
        params: idParams,
        body: policyInputSchema.meta({
          examples: [
            {
              levels: [{ staffId: '9c3e1f7a-2b4d-4e6f-8a1c-5d7e9f0b2c43' }],
              ackWithinSeconds: { extreme: 3600, high: 14400 },
              minBandToEscalate: 'moderate',
            },
          ],
        }),
        response: { 200: policySchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request) => putPolicy(db, tenantOf(request), request.params.id, request.body),
  );

  app.get(
    '/v1/wards/:id/escalation-policy',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'getEscalationPolicy',
        tags: ['escalation'],
        summary: "The ward's escalation chain and deadlines",
        params: idParams,
        response: { 200: policySchema, ...commonErrors },
      },
    },
    async (request) => getPolicy(db, tenantOf(request), request.params.id),
  );

  app.get(
    '/v1/escalation-policies',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'listEscalationPolicies',
        tags: ['escalation'],
        summary: "The escalation policies of the caller's wards; needsAttention=true: those naming deactivated staff",
        querystring: z.strictObject({
          needsAttention: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
        }),
        response: { 200: z.object({ data: z.array(policySchema) }), ...commonErrors },
      },
    },
    async (request) => ({ data: await listPolicies(db, tenantOf(request), request.query) }),
  );
}

/** The items a ward's policy leaves without an escalation. */
function unroutedRoutes(app: RouteApp, { db }: ServiceDeps) {
  app.get(
    '/v1/wards/:id/unrouted',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'listUnroutedItems',
        tags: ['escalation'],
        summary: 'Open items that qualify for escalation but have none (e.g. the ward has no policy)',
        params: idParams,
        response: {
          200: z.object({
            hasPolicy: z.boolean(),
            minBandToEscalate: z.enum(RISK_BANDS),
            items: z.array(itemSchema),
          }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const result = await unroutedItems(db, tenantOf(request), request.params.id);
      return { ...result, items: await presentItems(db, result.items) };
    },
  );
}

/** Escalations: started by hand, listed in the manager's inbox, read, and acted on. */
export const escalationRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  const { db } = deps;
  // The ward's own resolution ends the item's escalation, so it lives here; it is registered
  // first to keep its place after the item routes in the route table and the OpenAPI document.
  app.post(
    '/v1/items/:id/resolve',
    {
      config: { access: WARD_STAFF },
      schema: {
        operationId: 'resolveItem',
        tags: ['items'],
        summary: 'The ward resolved the item itself',
        params: idParams,
        body: z.strictObject({ note: freeText(2000) }),
        response: { 200: itemSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request) =>
      (
        await presentItems(db, [await resolveItemAtWard(deps, tenantOf(request), request.params.id, request.body.note)])
      )[0]!,
  );

  policyRoutes(app, deps);
  unroutedRoutes(app, deps);

  app.post(
    '/v1/items/:id/escalate',
    {
      config: { access: WARD_STAFF },
      schema: {
        operationId: 'escalateItem',
        tags: ['escalation'],
        summary: "Escalate an open item to the ward's chain of managers",
        params: idParams,
        body: z.strictObject({ reason: escalationText }),
        response: { 201: escalationSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const principal = tenantOf(request);
      const id = await escalateItemManually(deps, principal, request.params.id, request.body.reason);
      return reply.status(201).send(await getEscalation(db, principal, id));
    },
  );

  app.get(
    '/v1/inbox',
    {
      config: { access: MANAGERS },
      schema: {
        operationId: 'inbox',
        tags: ['escalation'],
        summary: 'Escalations assigned to me, most urgent due time first',
        querystring: z.strictObject({
          state: z.enum(ESCALATION_STATES).optional(),
          band: z.enum(RISK_BANDS).optional(),
          wardId: z.uuid().optional(),
          overdue: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
          ...pageQuery,
        }),
        response: { 200: pageOf(inboxEntrySchema), ...commonErrors },
      },
    },
    async (request) => inbox(db, tenantOf(request), request.query),
  );

  app.get(
    '/v1/escalations/:id',
    {
      config: { access: ESCALATION_READERS },
      schema: {
        operationId: 'getEscalation',
        tags: ['escalation'],
        summary: 'An escalation with its chain, answers and full history',
        params: idParams,
        response: { 200: escalationSchema, ...commonErrors },
      },
    },
    async (request) => getEscalation(db, tenantOf(request), request.params.id),
  );

  await app.register(actionRoutes, deps);
};

/** One route per manager action, each with its own body. */
const actionRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  for (const action of ESCALATION_ACTIONS) {
    app.post(
      `/v1/escalations/:id/${action}`,
      {
        config: { access: MANAGERS },
        schema: {
          operationId: `${action}Escalation`,
          tags: ['escalation'],
          summary: ACTION_SUMMARIES[action],
          description:
            'Only the current assignee, or the deputy covering them today, may act (a deputy acts on their behalf, ' +
            'which the history records); 409 when the escalation state does not allow it.',
          params: idParams,
          body: ACTION_BODIES[action],
          response: { 200: escalationSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
        },
      },
      async (request) => {
        const principal = tenantOf(request);
        await actOnEscalation(deps, principal, request.params.id, action, request.body);
        return getEscalation(deps.db, principal, request.params.id);
      },
    );
  }

  app.post(
    '/v1/escalations/:id/take-over',
    {
      config: { access: ['senior_manager'] },
      schema: {
        operationId: 'takeOverEscalation',
        tags: ['escalation'],
        summary: 'A senior manager takes over an escalation: it becomes theirs, taken on at once',
        description:
          'An open escalation counts as acknowledged by the senior manager (its deadline timer stops); the history ' +
          'records the take-over with its reason, and the manager it was taken from is notified (`taken_over`). ' +
          '409 when it is resolved or already theirs.',
        params: idParams,
        body: z.strictObject({ reason: escalationText }),
        response: { 200: escalationSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request) => {
      const principal = tenantOf(request);
      await takeOverEscalation(deps, principal, request.params.id, request.body);
      return getEscalation(deps.db, principal, request.params.id);
    },
  );
};
