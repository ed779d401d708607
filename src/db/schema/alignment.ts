import { bigserial, boolean, date, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { STANCES } from '../../domain/escalation.js';
import { ALIGNMENT_STATES } from '../../domain/alignment.js';
import { BARRIERS } from '../../domain/taxonomy.js';
import { SENIOR_DECISIONS } from '../../domain/senior-review.js';
import { createdAt, id, timestamptz } from './columns.js';
import { wards, staff, apiTokens, organisationRef } from './organisations-and-people.js';
import { items } from './briefings-and-items.js';

// Alignment: every change of either side's position, and QI priorities items can serve.

export const positionChanges = pgTable(
  'position_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    organisationId: organisationRef(),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    side: text('side', { enum: ['clinical', 'managerial'] }).notNull(),
    needsChange: boolean('needs_change'),
    stance: text('stance', { enum: STANCES }),
    rationale: text('rationale'),
    /** A manager's barriers with this position; null for the team's positions and earlier rows. */
    barriers: text('barriers', { enum: BARRIERS }).array(),
    barrierNote: text('barrier_note'),
    alignmentAfter: text('alignment_after', { enum: ALIGNMENT_STATES }).notNull(),
    actorStaffId: uuid('actor_staff_id').references(() => staff.id),
    actorTokenId: uuid('actor_token_id').references(() => apiTokens.id),
    createdAt: createdAt(),
  },
  (t) => [index('position_changes_item_idx').on(t.itemId, t.id)],
);

export const priorities = pgTable(
  'priorities',
  {
    id: id(),
    organisationId: organisationRef(),
    title: text('title').notNull(),
    description: text('description'),
    level: text('level', { enum: ['organisation', 'division', 'ward'] }).notNull(),
    wardId: uuid('ward_id').references(() => wards.id),
    division: text('division'),
    ownerStaffId: uuid('owner_staff_id')
      .notNull()
      .references(() => staff.id),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('priorities_organisation_idx').on(t.organisationId)],
);

export const itemPriorities = pgTable(
  'item_priorities',
  {
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    priorityId: uuid('priority_id')
      .notNull()
      .references(() => priorities.id),
    linkedByTokenId: uuid('linked_by_token_id').references(() => apiTokens.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.itemId, t.priorityId] }), index('item_priorities_priority_idx').on(t.priorityId)],
);

/**
 * A senior manager's decision on an issue brought to senior review (a thread of repeats): adopt
 * it as a QI target (priority), accept the risk until a review date, or send it back.
 */
export const seniorDecisions = pgTable(
  'senior_decisions',
  {
    id: id(),
    organisationId: organisationRef(),
    /** The item decided on (the thread's latest open raising). */
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    /** The thread of repeats the item belongs to (its first item). */
    threadId: uuid('thread_id')
      .notNull()
      .references(() => items.id),
    decision: text('decision', { enum: SENIOR_DECISIONS }).notNull(),
    priorityId: uuid('priority_id').references(() => priorities.id),
    reason: text('reason'),
    reviewDate: date('review_date', { mode: 'string' }),
    decidedByStaffId: uuid('decided_by_staff_id')
      .notNull()
      .references(() => staff.id),
    createdAt: createdAt(),
  },
  (t) => [index('senior_decisions_thread_idx').on(t.organisationId, t.threadId)],
);
