import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { ORG_ADMIN } from '../auth/roles.js';
import type { ServiceDeps } from '../deps.js';
import { STAFF_ROLES } from '../domain/taxonomy.js';
import { commonErrors, idParams, problemSchema, timestamp } from '../http/schemas.js';
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
  })
  .meta({ id: 'StaffMember' });

export const staffRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  const { db } = deps;
  app.post(
    '/v1/staff',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'createStaff',
        tags: ['staff'],
        summary: 'Add a staff member; wardIds are the wards a clinician works on or a manager looks after',
        body: z
          .strictObject({
            name: z.string().trim().min(1).max(200),
            email: z.email().max(254),
            role: z.enum(STAFF_ROLES),
            wardIds: z.array(z.uuid()).max(200).optional(),
          })
          .meta({
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
        summary: "The organisation's staff, optionally of one role",
        querystring: z.strictObject({ role: z.enum(STAFF_ROLES).optional() }),
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
};
