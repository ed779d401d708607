import { and, desc, eq, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import { MANAGERS } from '../auth/roles.js';
import { notifications } from '../db/schema.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors, idParams, timestamp } from '../http/schemas.js';
import { notFound } from '../http/errors.js';

const notificationSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(['assigned', 'reminder']),
    escalationId: z.uuid(),
    createdAt: timestamp,
    readAt: timestamp.nullable(),
  })
  .meta({ id: 'Notification' });

type NotificationRow = typeof notifications.$inferSelect;
const present = (n: NotificationRow) => ({
  id: n.id,
  type: n.type,
  escalationId: n.escalationId,
  createdAt: n.createdAt.toISOString(),
  readAt: n.readAt?.toISOString() ?? null,
});

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
    async (request) => {
      const principal = tenantOf(request);
      const rows = await db
        .select()
        .from(notifications)
        .where(
          and(
            eq(notifications.recipientStaffId, principal.staffId!),
            eq(notifications.organisationId, principal.organisationId),
            request.query.unread === 'true' ? isNull(notifications.readAt) : undefined,
          ),
        )
        .orderBy(desc(notifications.createdAt))
        .limit(200);
      return { data: rows.map(present) };
    },
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
    async (request) => {
      const principal = tenantOf(request);
      const where = and(eq(notifications.id, request.params.id), eq(notifications.recipientStaffId, principal.staffId!));
      await db.update(notifications).set({ readAt: new Date() }).where(and(where, isNull(notifications.readAt)));
      const [row] = await db.select().from(notifications).where(where);
      if (!row) throw notFound('Notification');
      return present(row);
    },
  );
};
