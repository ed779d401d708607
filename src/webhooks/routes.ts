import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { ORG_ADMIN } from '../auth/roles.js';
import { NOTIFICATION_TYPES } from '../db/schema.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors, timestamp } from '../http/schemas.js';
import { listWebhookDeliveries, removeWebhook, setWebhook } from './settings.js';
import type { WebhookUrlPolicy } from './url.js';

/** The organisation's webhook for escalation events, and the record of its deliveries. */
export const webhookRoutes: FastifyPluginAsyncZod<ServiceDeps & { webhookPolicy: WebhookUrlPolicy }> = async (
  app,
  deps,
) => {
  const { db } = deps;
  app.put(
    '/v1/organisation/webhook',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'setWebhook',
        tags: ['organisations'],
        summary: 'Receive escalation events at an https URL, signed with HMAC-SHA256',
        description:
          'Each event is POSTed as JSON with headers x-briefings-event-id, x-briefings-timestamp and ' +
          'x-briefings-signature: v1=hex(HMAC-SHA256(secret, "<timestamp>.<body>")). Delivery is at least once, ' +
          'retried with backoff; deduplicate on the event id. The event types (`type`, one per notification ' +
          `type): ${NOTIFICATION_TYPES.map((type) => `escalation.${type}`).join(', ')}.`,
        body: z.strictObject({ url: z.string().max(2000) }),
        response: {
          200: z.object({ url: z.string(), secret: z.string().describe('Shown only here; store it safely') }),
          ...commonErrors,
        },
      },
    },
    async (request) => setWebhook(db, tenantOf(request), request.body.url, deps.webhookPolicy),
  );

  app.delete(
    '/v1/organisation/webhook',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'removeWebhook',
        tags: ['organisations'],
        summary: 'Remove the escalation webhook (no more deliveries)',
        response: { 204: z.null(), ...commonErrors },
      },
    },
    async (request, reply) => {
      await removeWebhook(db, tenantOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/organisation/webhook/deliveries',
    {
      config: { access: ORG_ADMIN },
      schema: {
        operationId: 'listWebhookDeliveries',
        tags: ['organisations'],
        summary: 'The latest 200 delivery attempts, newest first',
        response: {
          200: z.object({
            data: z.array(
              z.object({
                id: z.number().int(),
                notificationId: z.uuid(),
                attempt: z.number().int(),
                url: z.string(),
                statusCode: z.number().int().nullable(),
                error: z.string().nullable(),
                succeeded: z.boolean(),
                durationMs: z.number().int(),
                createdAt: timestamp,
              }),
            ),
          }),
          ...commonErrors,
        },
      },
    },
    async (request) => ({ data: await listWebhookDeliveries(db, tenantOf(request).organisationId) }),
  );
};
