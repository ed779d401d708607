import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { TENANT_ROLES, WARD_STAFF } from '../auth/roles.js';
import type { Database } from '../db/client.js';
import type { ItemRow } from '../db/rows.js';
import type { ServiceDeps } from '../deps.js';
import { pageOf } from '../http/pagination.js';
import { commonErrors, freeText, idParams, problemSchema } from '../http/schemas.js';
import { presentItems } from './present.js';
import { itemListQuery, itemSchema, rankedItemSchema, type ItemListQuery } from './schemas.js';
import { persistentItems } from './persistent.js';
import { getItem, listItems, setClinicalPosition, unlinkRecurrence } from './service.js';
import { itemTimeline } from './timeline.js';
import { auditEventSchema } from '../audit/schemas.js';

/** Persistent issues, ranked, as one page (the ranking is capped by `limit`, so no cursor). */
async function persistentPage(deps: ServiceDeps, principal: TenantPrincipal, query: ItemListQuery) {
  const ranked = await persistentItems(deps, principal, query);
  const presented = await presentItems(
    deps.db,
    ranked.map((r) => r.item),
  );
  return { data: presented.map((item, i) => ({ ...item, rank: ranked[i]!.rank })), nextCursor: null };
}

/** A page of items as filtered, or the persistent issues when `persistent=true`. */
async function itemPage(deps: ServiceDeps, principal: TenantPrincipal, query: ItemListQuery) {
  if (query.persistent === 'true') return persistentPage(deps, principal, query);
  const page = await listItems(deps.db, principal, query);
  return { data: await presentItems(deps.db, page.data), nextCursor: page.nextCursor };
}

const presentOne = async (db: Database, row: ItemRow) => (await presentItems(db, [row]))[0]!;

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
        querystring: itemListQuery,
        response: { 200: pageOf(rankedItemSchema), ...commonErrors },
      },
    },
    async (request) => itemPage(deps, tenantOf(request), request.query),
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
      presentOne(db, await setClinicalPosition(deps, tenantOf(request), request.params.id, request.body)),
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
    async (request) => presentOne(db, await unlinkRecurrence(deps, tenantOf(request), request.params.id)),
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
    async (request) => presentOne(db, await getItem(db, tenantOf(request), request.params.id)),
  );
};
