import { and, eq, inArray, isNull, lt, ne } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { escalationActions, escalations, organisations } from '../db/schema.js';
import { insertTogether } from '../db/together.js';
import { localDateOf } from '../domain/calendar.js';
import { notificationsInsert, type NewNotification } from '../notifications/service.js';
import { outboxInsert } from '../queue/outbox.js';
import { hasWebhook } from '../webhooks/settings.js';

/** Reminders written per transaction; a pass goes on until none is left. */
const BATCH = 200;

/**
 * Planned actions whose due date has passed (the trust's calendar: the day after the due date,
 * UK time) while their escalation is still unresolved remind the escalation's assignee: one
 * `action_overdue` notification per action, ever. The action is marked reminded in the same
 * transaction as its notification, and the database allows one notification per action, so a
 * pass that runs twice, or in two processes at once, or again after a restart, reminds once.
 * Run by every worker's periodic reconciler pass. Answers how many were reminded.
 */
export async function remindOverdueActions(db: Database, now = new Date()): Promise<number> {
  const today = localDateOf(now);
  let total = 0;
  for (;;) {
    const reminded = await db.transaction(async (tx) => {
      const due = await tx
        .select({
          actionId: escalationActions.id,
          escalation: {
            id: escalations.id,
            organisationId: escalations.organisationId,
            assigneeStaffId: escalations.assigneeStaffId,
            step: escalations.step,
            level: escalations.level,
            dueAt: escalations.dueAt,
          },
          webhook: hasWebhook(),
        })
        .from(escalationActions)
        .innerJoin(escalations, eq(escalations.id, escalationActions.escalationId))
        .innerJoin(organisations, eq(organisations.id, escalations.organisationId))
        .where(
          and(
            isNull(escalationActions.remindedAt),
            lt(escalationActions.dueDate, today),
            ne(escalations.state, 'resolved'),
          ),
        )
        .limit(BATCH)
        // Another process's pass skips what this one holds, and finds it reminded afterwards.
        .for('update', { of: escalationActions, skipLocked: true });
      if (due.length === 0) return 0;
      await tx
        .update(escalationActions)
        .set({ remindedAt: now })
        .where(
          inArray(
            escalationActions.id,
            due.map((d) => d.actionId),
          ),
        );
      const notice = (list: typeof due, webhook: boolean) =>
        notificationsInsert(
          list.map(({ actionId, escalation: e }): NewNotification => ({
            organisationId: e.organisationId,
            escalationId: e.id,
            recipientStaffId: e.assigneeStaffId,
            type: 'action_overdue',
            step: e.step,
            actionId,
            level: e.level,
            dueAt: e.dueAt,
            createdAt: now,
          })),
          webhook,
        );
      const groups = [true, false]
        .map((webhook) => [webhook, due.filter((d) => d.webhook === webhook)] as const)
        .filter(([, list]) => list.length > 0)
        .map(([webhook, list]) => notice(list, webhook));
      const webhooks = groups.flatMap((g) => g.webhooks);
      await insertTogether(tx, [
        ...groups.flatMap((g) => g.inserts),
        ...(webhooks.length > 0 ? [outboxInsert(webhooks)] : []),
      ]);
      return due.length;
    });
    total += reminded;
    if (reminded < BATCH) return total;
  }
}
