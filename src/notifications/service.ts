import { and, desc, eq, isNull } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { notifications } from '../db/schema.js';
import { notFound } from '../http/errors.js';

type NotificationRow = typeof notifications.$inferSelect;

const present = (n: NotificationRow) => ({
  id: n.id,
  type: n.type,
  escalationId: n.escalationId,
  createdAt: n.createdAt.toISOString(),
  readAt: n.readAt?.toISOString() ?? null,
});

/** The caller's latest 200 notifications, newest first; only the unread ones when asked. */
export async function listNotifications(db: Database, principal: TenantPrincipal, filter: { unread: boolean }) {
  const rows = await db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.recipientStaffId, principal.staffId!),
        eq(notifications.organisationId, principal.organisationId),
        filter.unread ? isNull(notifications.readAt) : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt))
    .limit(200);
  return { data: rows.map(present) };
}

/** Marks one of the caller's notifications read (the first reading's time stays). */
export async function markNotificationRead(db: Database, principal: TenantPrincipal, notificationId: string) {
  const where = and(eq(notifications.id, notificationId), eq(notifications.recipientStaffId, principal.staffId!));
  await db.update(notifications).set({ readAt: new Date() }).where(and(where, isNull(notifications.readAt)));
  const [row] = await db.select().from(notifications).where(where);
  if (!row) throw notFound('Notification');
  return present(row);
}
