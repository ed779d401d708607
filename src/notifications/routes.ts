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
    type: z
      .enum(NOTIFICATION_TYPES)
      .describe(
        'assigned or reminder: the acknowledge deadline; taken_over: a senior manager took the escalation from me; ' +
          "action_overdue: a planned action's due date passed while the escalation is open; " +
          'closed: a correction of the item closed the escalation; ' +
          'raised_again: the issue was raised again while the escalation was open (see raisedCount); ' +
          'sent_back: a senior manager sent the issue back to me (the middle manager) at senior review',
      ),
    escalationId: z.uuid(),
    actionId: z.uuid().nullable().describe('The planned action (action_overdue only)'),
    raisedCount: z.number().int().nullable().describe('raised_again: how often the issue has now been raised'),
    message: z.string().nullable().describe('raised_again: "Raised again (n times)"'),
    createdAt: timestamp,
    readAt: timestamp.nullable(),
  })
  .meta({ id: 'Notification' });

/** The manager's notifications: assignments, reminders, take-overs, overdue planned actions, repeats, sent back. */
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
