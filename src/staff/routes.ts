import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { ORG_ADMIN } from '../auth/roles.js';
import type { ServiceDeps } from '../deps.js';
import { STAFF_ROLES } from '../domain/taxonomy.js';
import { commonErrors, freeText, idParams, problemSchema, type RouteApp, timestamp } from '../http/schemas.js';
import { deactivateStaff, reactivateStaff, updateStaff } from './lifecycle.js';
import { createStaff, getStaff, listStaff } from './service.js';

const STAFF_READERS = ['org_admin', 'middle_manager', 'senior_manager'] as const;

export const staffSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    email: z.string(),
    role: z.enum(STAFF_ROLES),
    wardIds: z.array(z.uuid()),
    createdAt: timestamp,
    deactivatedAt: timestamp
      .nullable()
      .describe('When they were deactivated: no tokens, no open escalations, left out of new chains'),
    deactivationReason: z.string().nullable(),
  })
  .meta({ id: 'StaffMember' });

const staffDeactivationSchema = staffSchema
  .extend({
    revokedTokenIds: z.array(z.uuid()).describe('Their tokens, revoked at once'),
    handedOver: z
      .array(
        z.object({
          escalationId: z.uuid(),
          assigneeStaffId: z.uuid(),
          level: z.number().int().describe('The level it now stands at (1-based)'),
          via: z
            .enum(['chain', 'ward_policy'])
            .describe(
              "chain: the next active level of the escalation's own chain; ward_policy: past its last level, the most senior active manager of the ward's current policy",
            ),
        }),
      )
      .describe('The open escalations they held, each moved on at once with a fresh deadline'),
    policiesNeedingAttention: z
      .array(z.uuid())
      .describe(
        'Wards whose escalation policy names them; new escalations skip them until the policy is saved without them',
      ),
  })
  .meta({ id: 'StaffDeactivation' });

const staffFields = {
  name: freeText(200),
  email: z.email().max(254),
  role: z.enum(STAFF_ROLES),
  wardIds: z.array(z.uuid()).max(200),
};

/** Adding staff members and reading their records. */
function staffRecordRoutes(app: RouteApp, { db }: ServiceDeps) {
  app.post(
    '/v1/staff',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'createStaff',
        tags: ['staff'],
        summary: 'Add a staff member; wardIds are the wards a clinician works on or a manager looks after',
        body: z.strictObject({ ...staffFields, wardIds: staffFields.wardIds.optional() }).meta({
          examples: [
            {
              name: 'Sam Okafor',
              email: 'sam.okafor@example.nhs.uk',
              role: 'middle_manager',
              wardIds: ['4b0d2c8e-3f1a-4c57-9e2b-7a6d5c4b3a21'],
            },
          ],
        }),
        response: { 201: staffSchema, 409: problemSchema, ...commonErrors },
      },
    },
    async (request, reply) => reply.status(201).send(await createStaff(db, tenantOf(request), request.body)),
  );

  app.get(
    '/v1/staff',
    {
      config: { access: STAFF_READERS },
      schema: {
        operationId: 'listStaff',
        tags: ['staff'],
        summary:
          "The organisation's staff, optionally of one role; active=true|false: only active or deactivated staff",
        querystring: z.strictObject({
          role: z.enum(STAFF_ROLES).optional(),
          active: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
        }),
        response: { 200: z.object({ data: z.array(staffSchema) }), ...commonErrors },
      },
    },
    async (request) => ({ data: await listStaff(db, tenantOf(request), request.query) }),
  );

  app.get(
    '/v1/staff/:id',
    {
      config: { access: STAFF_READERS },
      schema: {
        operationId: 'getStaff',
        tags: ['staff'],
        summary: 'A staff member with their wards',
        params: idParams,
        response: { 200: staffSchema, ...commonErrors },
      },
    },
    async (request) => getStaff(db, tenantOf(request), request.params.id),
  );
}

/** Editing a staff member, and deactivating and reactivating them. */
function staffLifecycleRoutes(app: RouteApp, deps: ServiceDeps) {
  const { db } = deps;
  app.patch(
    '/v1/staff/:id',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'updateStaff',
        tags: ['staff'],
        summary: 'Edit a staff member: name, email, role, wards (wardIds replaces the list)',
        description:
          'A deactivated staff member cannot be edited (409). A manager named in an escalation policy or holding an open escalation keeps a manager role until those are changed (409); nobody changes their own role (409).',
        params: idParams,
        body: z
          .strictObject({
            name: staffFields.name.optional(),
            email: staffFields.email.optional(),
            role: staffFields.role.optional(),
            wardIds: staffFields.wardIds.optional(),
          })
          .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' })
          .meta({ examples: [{ role: 'senior_manager', wardIds: [] }] }),
        response: { 200: staffSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request) => updateStaff(db, tenantOf(request), request.params.id, request.body),
  );

  app.post(
    '/v1/staff/:id/deactivate',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'deactivateStaff',
        tags: ['staff'],
        summary: 'Deactivate a staff member who left: tokens revoked, open escalations handed over, policies flagged',
        description:
          "In one transaction: every token of theirs is revoked; every escalation they hold and have not resolved opens again at once at the next active level of its chain (past its last level, at the most senior active manager of the ward's policy), with a `reassigned` event (reason `assignee_deactivated`), a notification and a fresh deadline; policies naming them are listed in `policiesNeedingAttention` (and by GET /v1/escalation-policies?needsAttention=true), and new escalations skip them. 409 when already deactivated, for oneself, or when an escalation they hold has nobody active to go to (nothing is then changed).",
        params: idParams,
        body: z
          .strictObject({ reason: freeText(500) })
          .meta({ examples: [{ reason: 'Left the trust on 30 November' }] }),
        response: { 200: staffDeactivationSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request) => deactivateStaff(deps, tenantOf(request), request.params.id, request.body.reason),
  );

  app.post(
    '/v1/staff/:id/reactivate',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'reactivateStaff',
        tags: ['staff'],
        summary: 'Reactivate a deactivated staff member (their old tokens stay revoked: issue new ones)',
        params: idParams,
        body: z.strictObject({}).optional(),
        response: { 200: staffSchema, 409: problemSchema, ...commonErrors },
      },
    },
    async (request) => reactivateStaff(db, tenantOf(request), request.params.id),
  );
}

export const staffRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  staffRecordRoutes(app, deps);
  staffLifecycleRoutes(app, deps);
};
