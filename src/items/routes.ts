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
import { getItem, listItems, persistentItems, setClinicalPosition, unlinkRecurrence } from './service.js';
import { itemTimeline } from './timeline.js';
import { auditEventSchema } from '../audit/schemas.js';

/**
 * Items: listed, read, positioned, unlinked, with their audit timeline. Resolving an item at the
 * ward and escalating it end or start an escalation, so those two routes are in escalations/routes.ts.
 */
export const itemRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  const { db } = deps;
  app.get(
    '/v1/items',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'listItems',
        tags: ['items'],
        summary: 'Items by ward, status, band, category or persistence',
        querystring: z.strictObject({
          wardId: z.uuid().optional(),
          status: z.enum(ITEM_STATUSES).optional(),
          band: z.enum(RISK_BANDS).optional(),
          category: z.enum(ITEM_CATEGORIES).optional(),
          from: isoDate.optional(),
          to: isoDate.optional(),
          persistent: z
            .enum(['true', 'false'])
            .optional()
            .describe(
              'true: persistent issues only (threads raised 3+ times or open over 14 days), one per thread, ' +
                'ranked by risk x (1 + ln(times raised)) x (1 + days open / 30); `rank` is set',
            ),
          ...pageQuery,
        }),
        response: { 200: pageOf(itemSchema.extend({ rank: z.number().optional() })), ...commonErrors },
      },
    },
    async (request) => {
      const principal = tenantOf(request);
      if (request.query.persistent === 'true') {
        const ranked = await persistentItems(deps, principal, request.query);
        const presented = await presentItems(
          db,
          ranked.map((r) => r.item),
        );
        return { data: presented.map((item, i) => ({ ...item, rank: ranked[i]!.rank })), nextCursor: null };
      }
      const page = await listItems(db, principal, request.query);
      return { data: await presentItems(db, page.data), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/v1/items/:id/clinical-position',
    {
      config: { access: WARD_STAFF },
      schema: {
        operationId: 'setClinicalPosition',
        tags: ['alignment'],
        summary: "Record the team's view: is change needed beyond the ward?",
        params: idParams,
        body: z.strictObject({ needsChange: z.boolean(), rationale: freeText(2000).optional() }),
        response: { 200: itemSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request) =>
      (
        await presentItems(db, [await setClinicalPosition(deps, tenantOf(request), request.params.id, request.body)])
      )[0]!,
  );

  app.delete(
    '/v1/items/:id/recurrence',
    {
      config: { access: WARD_STAFF },
      schema: {
        operationId: 'unlinkRecurrence',
        tags: ['items'],
        summary: 'This item does not repeat the one it was linked to (undo a wrong match)',
        params: idParams,
        response: { 200: itemSchema, 409: problemSchema, ...commonErrors },
      },
    },
    async (request) =>
      (await presentItems(db, [await unlinkRecurrence(deps, tenantOf(request), request.params.id)]))[0]!,
  );

  app.get(
    '/v1/items/:id/timeline',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'itemTimeline',
        tags: ['audit'],
        summary: "The item's audit events in order: raising, positions, links, escalation steps",
        params: idParams,
        response: { 200: z.object({ data: z.array(auditEventSchema) }), ...commonErrors },
      },
    },
    async (request) => ({ data: await itemTimeline(db, tenantOf(request), request.params.id) }),
  );

  app.get(
    '/v1/items/:id',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'getItem',
        tags: ['items'],
        summary: 'An item with its risk, alignment and escalation (what the ward sees)',
        params: idParams,
        response: { 200: itemSchema, ...commonErrors },
      },
    },
    async (request) => (await presentItems(db, [await getItem(db, tenantOf(request), request.params.id)]))[0]!,
  );
};
