import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, integer, pgTable, smallint, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, timestamptz } from './columns.js';
import { staff, organisationRef } from './organisations-and-people.js';
import { escalationActions, escalations } from './escalations.js';

// Notifications to managers, and their delivery to each organisation's webhook.

/**
 * assigned and reminder: of the acknowledge deadline; taken_over: a senior manager took it from
 * the recipient; action_overdue: a planned action's due date passed while the escalation was open;
 * closed: a correction of the item closed it; raised_again: the issue was raised again while the
 * escalation was open (`raised_count` says how often the thread has been raised); sent_back: a
 * senior manager sent the issue back to the recipient, the middle manager, with a reason.
 */
export const NOTIFICATION_TYPES = [
  'assigned',
  'reminder',
  'taken_over',
  'action_overdue',
  'closed',
  'raised_again',
  'sent_back',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    organisationId: organisationRef(),
    recipientStaffId: uuid('recipient_staff_id')
      .notNull()
      .references(() => staff.id),
    escalationId: uuid('escalation_id')
      .notNull()
      .references(() => escalations.id),
    type: text('type', { enum: NOTIFICATION_TYPES }).notNull(),
    /** The planned action an action_overdue notification is about. */
    actionId: uuid('action_id').references(() => escalationActions.id),
    step: integer('step').notNull(),
    /** What it announced, as it was then: the level (0-based, as escalations.level) and deadline. */
    level: smallint('level').notNull(),
    dueAt: timestamptz('due_at').notNull(),
    /** raised_again: how often the thread had been raised. */
    raisedCount: integer('raised_count'),
    createdAt: createdAt(),
    readAt: timestamptz('read_at'),
  },
  (t) => [
    // A senior decision sending the issue back tells the manager once per decision, whatever the step.
    uniqueIndex('notifications_once_per_step')
      .on(t.escalationId, t.step, t.recipientStaffId)
      .where(sql`${t.actionId} IS NULL AND ${t.type} NOT IN ('raised_again', 'sent_back')`),
    // A repeat tells the assignee once per count of the thread.
    uniqueIndex('notifications_once_per_raising')
      .on(t.escalationId, t.raisedCount, t.recipientStaffId)
      .where(sql`${t.type} = 'raised_again'`),
    // An overdue action reminds its assignee once, whatever step the escalation is at.
    uniqueIndex('notifications_once_per_action')
      .on(t.actionId)
      .where(sql`${t.actionId} IS NOT NULL`),
    index('notifications_recipient_idx').on(t.recipientStaffId, t.createdAt),
  ],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    organisationId: organisationRef(),
    notificationId: uuid('notification_id')
      .notNull()
      .references(() => notifications.id),
    attempt: integer('attempt').notNull(),
    url: text('url').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    succeeded: boolean('succeeded').notNull(),
    durationMs: integer('duration_ms').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('webhook_deliveries_notification_idx').on(t.notificationId)],
);

/**
 * Webhook deliveries still to make, per organisation, oldest first. PostgreSQL holds them (not one
 * BullMQ job each), so one organisation's failing receiver never holds the workers that others
 * need: a single job per organisation drains its rows (src/webhooks/queue.ts).
 */
export const webhookQueue = pgTable(
  'webhook_queue',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    notificationId: uuid('notification_id')
      .notNull()
      .unique()
      .references(() => notifications.id),
    organisationId: organisationRef(),
    /** Attempts made so far; each is also a webhook_deliveries row. */
    attempts: integer('attempts').notNull().default(0),
    /** Not before: the backoff after a failed attempt, or the lease of an attempt under way. */
    nextAttemptAt: timestamptz('next_attempt_at').notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [index('webhook_queue_due_idx').on(t.organisationId, t.nextAttemptAt, t.id)],
);
