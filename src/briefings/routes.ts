import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { TENANT_ROLES, WARD_STAFF } from '../auth/roles.js';
import type { ServiceDeps } from '../deps.js';
import { pageOf, pageQuery } from '../http/pagination.js';
import { commonErrors, idParams, isoDate, problemSchema, type RouteApp } from '../http/schemas.js';
import { addItems } from './add-items.js';
import {
  briefingCreatedSchema,
  briefingSchema,
  itemsAddedSchema,
  newBriefingSchema,
  newItemsSchema,
} from './schemas.js';
import { getBriefing, listBriefings, recordBriefing } from './service.js';

const READERS = TENANT_ROLES;

/** Recording a briefing, and adding items to it afterwards. */
function briefingWriteRoutes(app: RouteApp, deps: ServiceDeps) {
  app.post(
    '/v1/briefings',
    {
      config: { access: WARD_STAFF },
      schema: {
        operationId: 'recordBriefing',
        tags: ['briefings'],
        summary: "Record a ward's daily safety briefing with its items",
        description:
          'Send an `Idempotency-Key` header so a retry after a lost connection is applied once. ' +
          'A ward records one briefing per date and shift; a second one is 409 with `existingBriefingId`. A closed ward takes no new briefings (409).',
        headers: z.object({ 'idempotency-key': z.string().min(1).max(255).optional() }),
        body: newBriefingSchema.meta({
          examples: [
            {
              wardId: '4b0d2c8e-3f1a-4c57-9e2b-7a6d5c4b3a21',
              date: '2026-12-01',
              shift: 'day',
              attendance: { nursing: 6, medical: 2 },
              items: [
                {
                  kind: 'problem',
                  category: 'equipment',
                  description: 'Only one working bladder scanner',
                  consequence: 3,
                  likelihood: 4,
                  needsChange: true,
                },
                {
                  kind: 'good_practice',
                  category: 'communication',
                  description: 'Handover checklist used on every shift',
                },
              ],
            },
          ],
        }),
        response: { 201: briefingCreatedSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request, reply) => reply.status(201).send(await recordBriefing(deps, tenantOf(request), request.body)),
  );

  app.post(
    '/v1/briefings/:id/items',
    {
      config: { access: WARD_STAFF },
      schema: {
        operationId: 'addBriefingItems',
        tags: ['briefings'],
        summary: 'Add items to a briefing after it was recorded',
        description:
          'Screened, graded, linked to repeats and escalated exactly as at the briefing. Send an ' +
          '`Idempotency-Key` header so a retry after a lost connection adds the items once.',
        headers: z.object({ 'idempotency-key': z.string().min(1).max(255).optional() }),
        params: idParams,
        body: newItemsSchema.meta({
          examples: [
            {
              items: [
                {
                  kind: 'risk',
                  category: 'staffing',
                  description: 'No second checker for controlled drugs on the night shift',
                  consequence: 3,
                  likelihood: 3,
                },
              ],
            },
          ],
        }),
        response: { 201: itemsAddedSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await addItems(deps, tenantOf(request), request.params.id, request.body)),
  );
}

/** Listing briefings and reading one. */
function briefingReadRoutes(app: RouteApp, { db }: ServiceDeps) {
  app.get(
    '/v1/briefings',
    {
      config: { access: READERS },
      schema: {
        operationId: 'listBriefings',
        tags: ['briefings'],
        summary: 'Briefings, newest first, by ward and date range',
        querystring: z.strictObject({
          wardId: z.uuid().optional(),
          from: isoDate.optional(),
          to: isoDate.optional(),
          ...pageQuery,
        }),
        response: { 200: pageOf(briefingSchema), ...commonErrors },
      },
    },
    async (request) => listBriefings(db, tenantOf(request), request.query),
  );

  app.get(
    '/v1/briefings/:id',
    {
      config: { access: READERS },
      schema: {
        operationId: 'getBriefing',
        tags: ['briefings'],
        summary: 'A briefing with its items',
        params: idParams,
        response: { 200: briefingSchema, ...commonErrors },
      },
    },
    async (request) => getBriefing(db, tenantOf(request), request.params.id),
  );
}

export const briefingRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  briefingWriteRoutes(app, deps);
  briefingReadRoutes(app, deps);
};
