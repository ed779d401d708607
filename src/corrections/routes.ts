import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { ORG_ADMIN, TENANT_ROLES, WARD_STAFF } from '../auth/roles.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors, idParams, problemSchema } from '../http/schemas.js';
import { presentItems } from '../items/present.js';
import { amendItem } from './amend.js';
import { listCorrections } from './list.js';
import { redactItem } from './redact.js';
import {
  amendItemSchema,
  correctedItemSchema,
  correctionSchema,
  redactedItemSchema,
  redactItemSchema,
  voidedItemSchema,
  voidItemSchema,
} from './schemas.js';
import { voidItem } from './void.js';

/** The ward's own staff and the organisation's administrators correct items (see mayCorrect). */
const CORRECTORS = [...WARD_STAFF, ...ORG_ADMIN];
const refusals = { 409: problemSchema, 422: problemSchema, ...commonErrors };

/** Corrections of recorded items: amend, void, redact, and the list of an item's corrections. */
export const correctionRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  const { db } = deps;
  app.patch(
    '/v1/items/:id',
    {
      config: { access: CORRECTORS },
      schema: {
        operationId: 'amendItem',
        tags: ['items'],
        summary: "Amend an item's kind, category, description or grading, with a reason",
        description:
          'Score and band follow a new consequence or likelihood. A higher band brings an unacknowledged ' +
          "escalation's deadline forward (never later); a band below the ward's minimum closes an " +
          'unacknowledged escalation (outcome `downgraded`); an open item with no escalation that reaches ' +
          'the minimum starts one. Free text is screened as at the briefing.',
        params: idParams,
        body: amendItemSchema,
        response: { 200: correctedItemSchema, ...refusals },
      },
    },
    async (request) => {
      const result = await amendItem(deps, tenantOf(request), request.params.id, request.body);
      const [item] = await presentItems(db, [result.item]);
      return { ...item!, correction: { id: result.correctionId, escalation: result.escalation } };
    },
  );

  app.post(
    '/v1/items/:id/void',
    {
      config: { access: CORRECTORS },
      schema: {
        operationId: 'voidItem',
        tags: ['items'],
        summary: 'Void an item entered in error, with a reason',
        description:
          'The item leaves every list and report; the audit trail and its corrections keep it. Its open ' +
          'escalation closes with the outcome `voided` and its timer stops.',
        params: idParams,
        body: voidItemSchema,
        response: { 200: voidedItemSchema, ...refusals },
      },
    },
    async (request) => voidItem(deps, tenantOf(request), request.params.id, request.body),
  );

  app.post(
    '/v1/items/:id/redact',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'redactItem',
        tags: ['items'],
        summary: 'Replace free text that should never have been stored (organisation administrators)',
        description:
          'Replaces the named fields and every copy kept beside the item. The audit trail records that a ' +
          'redaction happened, by whom and why (the correction id), never the text.',
        params: idParams,
        body: redactItemSchema,
        response: { 200: redactedItemSchema, ...refusals },
      },
    },
    async (request) => redactItem(deps, tenantOf(request), request.params.id, request.body),
  );

  app.get(
    '/v1/items/:id/corrections',
    {
      config: { access: TENANT_ROLES },
      schema: {
        operationId: 'listItemCorrections',
        tags: ['audit'],
        summary: "An item's corrections with their reasons, oldest first (voided items included)",
        params: idParams,
        response: { 200: z.object({ data: z.array(correctionSchema) }), ...commonErrors },
      },
    },
    async (request) => ({ data: await listCorrections(db, tenantOf(request), request.params.id) }),
  );
};
