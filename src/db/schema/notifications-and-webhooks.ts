import {
  bigserial,
  boolean,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt } from './columns.js';
import { organisations, staff } from './organisations-and-people.js';
import { escalations } from './escalations.js';

// Notifications to managers, and their delivery to each organisation's webhook.

/** assigned and reminder ask the manager to act; closed says a correction of the item closed it. */
export const NOTIFICATION_TYPES = ['assigned', 'reminder', 'closed'] as const;

export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    recipientStaffId: uuid('recipient_staff_id')
      .notNull()
      .references(() => staff.id),
    escalationId: uuid('escalation_id')
      .notNull()
      .references(() => escalations.id),
    type: text('type', { enum: NOTIFICATION_TYPES }).notNull(),
    step: integer('step').notNull(),
    /** What it announced, as it was then: the level (0-based, as escalations.level) and deadline. */
    level: smallint('level').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
    readAt: timestamp('read_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('notifications_once_per_step').on(t.escalationId, t.step, t.recipientStaffId),
    index('notifications_recipient_idx').on(t.recipientStaffId, t.createdAt),
  ],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
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
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    /** Attempts made so far; each is also a webhook_deliveries row. */
    attempts: integer('attempts').notNull().default(0),
    /** Not before: the backoff after a failed attempt, or the lease of an attempt under way. */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [index('webhook_queue_due_idx').on(t.organisationId, t.nextAttemptAt, t.id)],
);
