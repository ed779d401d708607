import { sql } from 'drizzle-orm';
import { check, date, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, timestamptz } from './columns.js';
import { apiTokens, organisationRef, staff } from './organisations-and-people.js';

// A manager's deputies while they are away, and the daily e-mail digests sent to managers.

/**
 * A deputy named for a manager over calendar days of the trust (both included). While it is in
 * force, the manager's escalations show in the deputy's inbox and the deputy may act on them.
 */
export const staffCover = pgTable(
  'staff_cover',
  {
    id: id(),
    organisationId: organisationRef(),
    managerStaffId: uuid('manager_staff_id')
      .notNull()
      .references(() => staff.id),
    deputyStaffId: uuid('deputy_staff_id')
      .notNull()
      .references(() => staff.id),
    fromDate: date('from_date', { mode: 'string' }).notNull(),
    toDate: date('to_date', { mode: 'string' }).notNull(),
    createdByTokenId: uuid('created_by_token_id').references(() => apiTokens.id),
    createdAt: createdAt(),
    /** Ended before its last day (or withdrawn before its first); the row stays as the record. */
    cancelledAt: timestamptz('cancelled_at'),
  },
  (t) => [
    check('staff_cover_range_check', sql`${t.fromDate} <= ${t.toDate}`),
    check('staff_cover_not_self_check', sql`${t.managerStaffId} <> ${t.deputyStaffId}`),
    index('staff_cover_manager_idx').on(t.managerStaffId, t.toDate),
    index('staff_cover_deputy_idx').on(t.deputyStaffId, t.toDate),
  ],
);

/**
 * One daily digest per manager per day: the row is claimed before the e-mail is sent and marked
 * sent after, so two workers (or a retried job) never send the same day's digest twice.
 */
export const digestSends = pgTable(
  'digest_sends',
  {
    staffId: uuid('staff_id')
      .notNull()
      .references(() => staff.id),
    date: date('date', { mode: 'string' }).notNull(),
    organisationId: organisationRef(),
    /** When a worker took it on; a claim that is old and unsent is taken again (a worker died). */
    claimedAt: timestamptz('claimed_at').notNull(),
    attempts: integer('attempts').notNull().default(1),
    sentAt: timestamptz('sent_at'),
    messageId: text('message_id'),
    escalations: integer('escalations'),
  },
  (t) => [primaryKey({ columns: [t.staffId, t.date] })],
);
