import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { MANAGERS } from '../auth/roles.js';
import { NOTIFICATION_TYPES } from '../db/schema.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors, idParams, timestamp } from '../http/schemas.js';
import { listNotifications, markNotificationRead } from './service.js';

const notificationSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(NOTIFICATION_TYPES),
    escalationId: z.uuid(),
    createdAt: timestamp,
    readAt: timestamp.nullable(),
  })
  .meta({ id: 'Notification' });

/** The manager's notifications: one per assignment and per reminder. */
export const notificationRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, { db }) => {
  app.get(
    '/v1/notifications',
    {
      config: { access: MANAGERS },
      schema: {
        operationId: 'listNotifications',
        tags: ['escalation'],
        summary: 'My notifications, newest first (the latest 200)',
        querystring: z.strictObject({ unread: z.enum(['true', 'false']).optional() }),
        response: { 200: z.object({ data: z.array(notificationSchema) }), ...commonErrors },
      },
    },
    async (request) => listNotifications(db, tenantOf(request), { unread: request.query.unread === 'true' }),
  );

  app.post(
    '/v1/notifications/:id/read',
    {
      config: { access: MANAGERS },
      schema: {
        operationId: 'markNotificationRead',
        tags: ['escalation'],
        summary: 'Mark a notification as read',
        params: idParams,
        response: { 200: notificationSchema, ...commonErrors },
      },
    },
    async (request) => markNotificationRead(db, tenantOf(request), request.params.id),
  );
};
