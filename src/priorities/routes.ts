import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { TENANT_ROLES } from '../auth/roles.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors, freeText, idParams, problemSchema, timestamp } from '../http/schemas.js';
import { presentItems } from '../items/present.js';
import { itemSchema } from '../items/schemas.js';
import { createPriority, linkPriority, listPriorities, unlinkPriority, updatePriority } from './service.js';

const PRIORITY_OWNERS = ['org_admin', 'senior_manager'] as const;
const LINKERS = ['ward_device', 'clinician', 'middle_manager', 'senior_manager'] as const;

const priorityFields = {
  title: freeText(200),
  description: freeText(2000).optional(),
  level: z.enum(['organisation', 'division', 'ward']),
  wardId: z.uuid().optional().describe('Required for a ward priority'),
  division: freeText(200).optional().describe('Required for a division priority'),
  ownerStaffId: z.uuid(),
  active: z.boolean().optional(),
};

const prioritySchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    level: z.enum(['organisation', 'division', 'ward']),
    wardId: z.uuid().nullable(),
    division: z.string().nullable(),
    ownerStaffId: z.uuid(),
    active: z.boolean(),
    linkedItems: z.number().int(),
    openLinkedItems: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Priority' });

export const priorityRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, { db }) => {
  app.post(
    '/v1/priorities',
    {
      config: { access: PRIORITY_OWNERS },
      schema: {
        operationId: 'createPriority',
        tags: ['alignment'],
        summary: 'Add a quality-improvement priority (organisation, division or ward level)',
        body: z.strictObject(priorityFields),
        response: { 201: prioritySchema, ...commonErrors },
      },
    },
    async (request, reply) => reply.status(201).send(await createPriority(db, tenantOf(request), request.body)),
  );

  app.get(
    '/v1/priorities',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'listPriorities',
        tags: ['alignment'],
        summary: 'The quality-improvement priorities register',
        response: { 200: z.object({ data: z.array(prioritySchema) }), ...commonErrors },
      },
    },
    async (request) => ({ data: await listPriorities(db, tenantOf(request)) }),
  );

  app.patch(
    '/v1/priorities/:id',
    {
      config: { access: PRIORITY_OWNERS },
      schema: {
        operationId: 'updatePriority',
        tags: ['alignment'],
        summary: 'Change a priority (title, level, owner, active)',
        params: idParams,
        body: z.strictObject(priorityFields).partial(),
        // 422: a patient identifier in the title or description.
        response: { 200: prioritySchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request) => updatePriority(db, tenantOf(request), request.params.id, request.body),
  );

  app.post(
    '/v1/items/:id/priorities',
    {
      config: { access: LINKERS },
      schema: {
        operationId: 'linkItemToPriority',
        tags: ['alignment'],
        summary: "Link an item to the active priority it serves: the organisation's, its division's or its ward's",
        params: idParams,
        body: z.strictObject({ priorityId: z.uuid() }),
        response: { 200: itemSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request) => {
      const item = await linkPriority(db, tenantOf(request), request.params.id, request.body.priorityId);
      return (await presentItems(db, [item]))[0]!;
    },
  );

  app.delete(
    '/v1/items/:id/priorities/:priorityId',
    {
      config: { access: LINKERS },
      schema: {
        operationId: 'unlinkItemFromPriority',
        tags: ['alignment'],
        summary: 'Unlink an item from a priority',
        params: z.object({ id: z.uuid(), priorityId: z.uuid() }),
        response: { 200: itemSchema, ...commonErrors },
      },
    },
    async (request) => {
      const item = await unlinkPriority(db, tenantOf(request), request.params.id, request.params.priorityId);
      return (await presentItems(db, [item]))[0]!;
    },
  );
};
