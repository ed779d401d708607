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
        body: z.strictObject({
          name: z.string().trim().min(1).max(200),
          email: z.email().max(254),
          role: z.enum(STAFF_ROLES),
          wardIds: z.array(z.uuid()).max(200).optional(),
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
        params: idParams,
        response: { 200: staffSchema, ...commonErrors },
      },
    },
    async (request) => getStaff(db, tenantOf(request), request.params.id),
  );
};
