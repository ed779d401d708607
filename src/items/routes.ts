import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { TENANT_ROLES, WARD_STAFF } from '../auth/roles.js';
import type { ServiceDeps } from '../deps.js';
import { RISK_BANDS } from '../domain/risk.js';
import { ITEM_CATEGORIES, ITEM_STATUSES } from '../domain/taxonomy.js';
import { pageOf, pageQuery } from '../http/pagination.js';
import { commonErrors, freeText, idParams, isoDate, problemSchema } from '../http/schemas.js';
import { presentItems } from './present.js';
import { itemSchema } from './schemas.js';
import { getItem, listItems, resolveItemAtWard } from './service.js';

export const itemRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  const { db } = deps;
  app.get(
    '/v1/items',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'listItems',
        tags: ['items'],
        querystring: z.strictObject({
          wardId: z.uuid().optional(),
          status: z.enum(ITEM_STATUSES).optional(),
          band: z.enum(RISK_BANDS).optional(),
          category: z.enum(ITEM_CATEGORIES).optional(),
          from: isoDate.optional(),
          to: isoDate.optional(),
          ...pageQuery,
        }),
        response: { 200: pageOf(itemSchema), ...commonErrors },
      },
    },
    async (request) => {
      const page = await listItems(db, tenantOf(request), request.query);
      return { data: await presentItems(db, page.data), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/items/:id',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'getItem',
        tags: ['items'],
        params: idParams,
        response: { 200: itemSchema, ...commonErrors },
      },
    },
    async (request) => (await presentItems(db, [await getItem(db, tenantOf(request), request.params.id)]))[0]!,
  );

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
      (await presentItems(db, [await resolveItemAtWard(deps, tenantOf(request), request.params.id, request.body.note)]))[0]!,
  );
};
