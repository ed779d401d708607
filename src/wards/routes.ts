import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { ORG_ADMIN, TENANT_ROLES } from '../auth/roles.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors, freeText, idParams, problemSchema, type RouteApp, timestamp } from '../http/schemas.js';
import { closeWard, reopenWard, updateWard } from './lifecycle.js';
import { createWard, getWard, listWards, presentWard } from './service.js';

export const wardSchema = z
  .object({
    id: z.uuid(),
    code: z.string(),
    name: z.string(),
    site: z.string().nullable(),
    division: z.string().nullable(),
    createdAt: timestamp,
    closedAt: timestamp
      .nullable()
      .describe('When the ward was closed: it takes no new briefings; its open items stay open until resolved'),
    closureReason: z.string().nullable(),
  })
  .meta({ id: 'Ward' });

const wardText = freeText(200);

/** Adding wards and reading them. */
function wardRecordRoutes(app: RouteApp, { db }: ServiceDeps) {
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
            code: freeText(32),
            name: freeText(200),
            site: freeText(200).optional(),
            division: freeText(200).optional(),
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
        summary: 'Wards the caller can see, closed ones included (closedAt set); closed=true|false filters',
        querystring: z.strictObject({
          closed: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
        }),
        response: { 200: z.object({ data: z.array(wardSchema) }), ...commonErrors },
      },
    },
    async (request) => ({ data: (await listWards(db, tenantOf(request), request.query)).map(presentWard) }),
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
}

/** Editing a ward, and closing and reopening it. */
function wardLifecycleRoutes(app: RouteApp, { db }: ServiceDeps) {
  app.patch(
    '/v1/wards/:id',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'updateWard',
        tags: ['wards'],
        summary: 'Rename a ward or change its site or division (null clears them); the code stays',
        params: idParams,
        body: z
          .strictObject({
            name: wardText.optional(),
            site: wardText.nullable().optional(),
            division: wardText.nullable().optional(),
          })
          .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' })
          .meta({ examples: [{ name: 'Acute Medical Unit (AMU)', division: 'Urgent care' }] }),
        response: { 200: wardSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request) => presentWard(await updateWard(db, tenantOf(request), request.params.id, request.body)),
  );

  app.post(
    '/v1/wards/:id/close',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'closeWard',
        tags: ['wards'],
        summary: 'Close a ward: no new briefings, its device tokens revoked; its open items stay open until resolved',
        description:
          'POST /v1/briefings for a closed ward answers 409, and no device token can be issued for it. Its open items and escalations are untouched: managers act on them, clinicians on the ward may still resolve its items, and reports count them. 409 when already closed.',
        params: idParams,
        body: z.strictObject({ reason: freeText(500) }).meta({ examples: [{ reason: 'Merged into ward 7B' }] }),
        response: {
          200: wardSchema.extend({ revokedTokenIds: z.array(z.uuid()).describe("The ward's device tokens, revoked") }),
          409: problemSchema,
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const closed = await closeWard(db, tenantOf(request), request.params.id, request.body.reason);
      return { ...presentWard(closed.ward), revokedTokenIds: closed.revokedTokenIds };
    },
  );

  app.post(
    '/v1/wards/:id/reopen',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'reopenWard',
        tags: ['wards'],
        summary: 'Reopen a closed ward (issue it a new device token)',
        params: idParams,
        body: z.strictObject({}).optional(),
        response: { 200: wardSchema, 409: problemSchema, ...commonErrors },
      },
    },
    async (request) => presentWard(await reopenWard(db, tenantOf(request), request.params.id)),
  );
}

export const wardRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  wardRecordRoutes(app, deps);
  wardLifecycleRoutes(app, deps);
};
