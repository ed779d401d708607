import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { ORG_ADMIN, TENANT_ROLES } from '../auth/roles.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors, idParams, problemSchema, timestamp } from '../http/schemas.js';
import { createWard, getWard, listWards, presentWard } from './service.js';

export const wardSchema = z
  .object({
    id: z.uuid(),
    code: z.string(),
    name: z.string(),
    site: z.string().nullable(),
    division: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Ward' });

export const wardRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  const { db } = deps;
  app.post(
    '/v1/wards',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'createWard',
        tags: ['wards'],
        summary: 'Add a ward',
        body: z
          .strictObject({
            code: z.string().trim().min(1).max(32),
            name: z.string().trim().min(1).max(200),
            site: z.string().trim().min(1).max(200).optional(),
            division: z.string().trim().min(1).max(200).optional(),
          })
          .meta({ examples: [{ code: '7A', name: 'Acute Medical Unit', site: 'Main site', division: 'Medicine' }] }),
        response: { 201: wardSchema, 409: problemSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(presentWard(await createWard(db, tenantOf(request), request.body))),
  );

  app.get(
    '/v1/wards',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'listWards',
        tags: ['wards'],
        summary: 'Wards the caller can see',
        response: { 200: z.object({ data: z.array(wardSchema) }), ...commonErrors },
      },
    },
    async (request) => ({ data: (await listWards(db, tenantOf(request))).map(presentWard) }),
  );

  app.get(
    '/v1/wards/:id',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'getWard',
        tags: ['wards'],
        summary: 'A ward',
        params: idParams,
        response: { 200: wardSchema, ...commonErrors },
      },
    },
    async (request) => presentWard(await getWard(db, tenantOf(request), request.params.id)),
  );
};
