import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, type SQLWrapper } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { notifications, type NotificationType } from '../db/schema.js';
import { rowsInsert } from '../db/together.js';
import { notFound } from '../http/errors.js';
import { raisedAgainMessage } from '../domain/escalation-thread.js';
import type { OutboxMessage } from '../queue/outbox.js';
import { webhookQueueWrites } from '../webhooks/queue.js';

/**
 * A manager's notification: one per assignment and per reminder of an escalation, per take-over
 * (to the manager it was taken from) and per overdue planned action (`actionId`).
 */
export interface NewNotification {
  organisationId: string;
  escalationId: string;
  recipientStaffId: string;
  type: NotificationType;
  step: number;
  actionId?: string;
  /** The level (0-based) and acknowledge deadline the notification announces. */
  level: number;
  dueAt: Date;
  /** raised_again: how often the thread has been raised. */
  raisedCount?: number;
  createdAt?: Date;
}

/**
 * Inbox notifications (their ids chosen here) and, when the organisation has a webhook, each
 * one's place in the organisation's delivery queue: the inserts to send together, and the
 * organisations' delivery jobs for the caller to put in the outbox with its other jobs.
 */
export function notificationsInsert(list: NewNotification[], webhook: boolean) {
  const rows = list.map((n) => ({ ...n, id: randomUUID() }));
  const inserts: SQLWrapper[] = [rowsInsert(notifications, rows)];
  if (!webhook) return { inserts, webhooks: [] as OutboxMessage<'webhooks'>[] };
  const queued = webhookQueueWrites(rows.map((n) => ({ notificationId: n.id, organisationId: n.organisationId })));
  return { inserts: [...inserts, queued.insert], webhooks: queued.jobs };
}

type NotificationRow = typeof notifications.$inferSelect;

const present = (n: NotificationRow) => ({
  id: n.id,
  type: n.type,
  escalationId: n.escalationId,
  actionId: n.actionId,
  raisedCount: n.raisedCount,
  message: n.type === 'raised_again' && n.raisedCount !== null ? raisedAgainMessage(n.raisedCount) : null,
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
  await db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(where, isNull(notifications.readAt)));
  const [row] = await db.select().from(notifications).where(where);
  if (!row) throw notFound('Notification');
  return present(row);
}
