import { sql } from 'drizzle-orm';
import {
  bigserial,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  type AnyPgColumn,
  primaryKey,
  smallint,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  ESCALATION_STATES,
  OUTCOMES,
  STANCES,
  type AckDeadlines,
  type ChainSnapshot,
} from '../../domain/escalation.js';
import { RISK_BANDS } from '../../domain/risk.js';
import { BARRIERS } from '../../domain/taxonomy.js';
import { createdAt, id, timestamptz } from './columns.js';
import { wards, staff, apiTokens, organisationRef, wardRef } from './organisations-and-people.js';
import { items } from './briefings-and-items.js';

// Escalation to named managers.

export const escalationPolicies = pgTable('escalation_policies', {
  wardId: uuid('ward_id')
    .primaryKey()
    .references(() => wards.id),
  organisationId: organisationRef(),
  levels: jsonb('levels').$type<string[]>().notNull(),
  ackWithinSeconds: jsonb('ack_within_seconds').$type<AckDeadlines>().notNull(),
  repeatEverySeconds: integer('repeat_every_seconds').notNull(),
  maxRepeats: integer('max_repeats').notNull(),
  minBandToEscalate: text('min_band_to_escalate', { enum: RISK_BANDS }).notNull(),
  categoryRoutes: jsonb('category_routes').$type<Partial<Record<string, string>>>().notNull(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

export const escalations = pgTable(
  'escalations',
  {
    id: id(),
    organisationId: organisationRef(),
    wardId: wardRef(),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    /** The thread of repeats the escalation is for: coalesce(item.thread_id, item.id). */
    threadId: uuid('thread_id'),
    /** For outcome `merged`: the thread's escalation this one was merged into. */
    mergedIntoId: uuid('merged_into_id').references((): AnyPgColumn => escalations.id),
    trigger: text('trigger', { enum: ['automatic', 'manual'] }).notNull(),
    reason: text('reason'),
    band: text('band', { enum: RISK_BANDS }).notNull(),
    chain: jsonb('chain').$type<ChainSnapshot>().notNull(),
    state: text('state', { enum: ESCALATION_STATES }).notNull(),
    level: smallint('level').notNull(),
    assigneeStaffId: uuid('assignee_staff_id')
      .notNull()
      .references(() => staff.id),
    /** When the current assignee must have acknowledged by. */
    dueAt: timestamptz('due_at').notNull(),
    /** When the pending timer fires; null when no further automatic step is due. */
    nextStepAt: timestamptz('next_step_at'),
    /** Bumped by every change that replaces the pending timer; timer jobs carry the step they were made for. */
    step: integer('step').notNull().default(1),
    repeatsSent: smallint('repeats_sent').notNull().default(0),
    snoozedUntil: timestamptz('snoozed_until'),
    stance: text('stance', { enum: STANCES }),
    stanceRationale: text('stance_rationale'),
    stanceAt: timestamptz('stance_at'),
    /** The barriers the manager named with their current position (empty when none). */
    stanceBarriers: text('stance_barriers', { enum: BARRIERS })
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    stanceBarrierNote: text('stance_barrier_note'),
    acknowledgedAt: timestamptz('acknowledged_at'),
    resolvedAt: timestamptz('resolved_at'),
    outcome: text('outcome', { enum: OUTCOMES }),
    outcomeNote: text('outcome_note'),
    createdAt: createdAt(),
  },
  (t) => [
    // At most one open escalation per item, enforced by the database.
    uniqueIndex('escalations_one_open_per_item')
      .on(t.itemId)
      .where(sql`${t.state} <> 'resolved'`),
    // And at most one per thread of repeats: a repeat joins the open one.
    uniqueIndex('escalations_one_open_per_thread')
      .on(t.threadId)
      .where(sql`${t.state} <> 'resolved'`),
    index('escalations_thread_idx').on(t.threadId, t.createdAt),
    index('escalations_assignee_due_idx')
      .on(t.assigneeStaffId, t.dueAt, t.id)
      .where(sql`${t.state} <> 'resolved'`),
    // The inbox filters by organisation too; with region-scale data the planner needs both columns.
    index('escalations_org_assignee_due_idx')
      .on(t.organisationId, t.assigneeStaffId, t.dueAt, t.id)
      .where(sql`${t.state} <> 'resolved'`),
    index('escalations_next_step_idx')
      .on(t.nextStepAt)
      .where(sql`${t.nextStepAt} IS NOT NULL`),
    index('escalations_organisation_created_idx').on(t.organisationId, t.createdAt),
    index('escalations_item_idx').on(t.itemId),
  ],
);

/** Everyone who has held the escalation; past assignees keep read access. */
export const escalationAssignees = pgTable(
  'escalation_assignees',
  {
    escalationId: uuid('escalation_id')
      .notNull()
      .references(() => escalations.id),
    staffId: uuid('staff_id')
      .notNull()
      .references(() => staff.id),
    firstAssignedAt: timestamptz('first_assigned_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.escalationId, t.staffId] }), index('escalation_assignees_staff_idx').on(t.staffId)],
);

export const ESCALATION_EVENT_TYPES = [
  'started',
  'climbed',
  'reminded',
  'acknowledged',
  'position',
  'action_planned',
  'resolved',
  'reassigned',
  'escalated',
  'snoozed',
  'comment',
  'taken_over',
  /** A correction of the item changed its band (the deadline may have come forward). */
  'rebanded',
  /** A correction of the item closed it: its band fell below the minimum, or it was voided. */
  'closed',
  /** The issue was raised again while this escalation was open (the repeat joined it). */
  'raised_again',
  /** Closed by the upgrade that grouped a thread's open escalations into its oldest one. */
  'merged',
] as const;
export type EscalationEventType = (typeof ESCALATION_EVENT_TYPES)[number];

/** The escalation's history, oldest first. */
export const escalationEvents = pgTable(
  'escalation_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    escalationId: uuid('escalation_id')
      .notNull()
      .references(() => escalations.id),
    type: text('type', { enum: ESCALATION_EVENT_TYPES }).notNull(),
    /** The step this event created, for events that replace the pending timer. */
    step: integer('step'),
    actorStaffId: uuid('actor_staff_id').references(() => staff.id),
    actorTokenId: uuid('actor_token_id').references(() => apiTokens.id),
    level: smallint('level').notNull(),
    assigneeStaffId: uuid('assignee_staff_id')
      .notNull()
      .references(() => staff.id),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index('escalation_events_escalation_idx').on(t.escalationId, t.id),
    // A timer step applied twice would insert a second row for the same step: refused here.
    uniqueIndex('escalation_events_one_per_step')
      .on(t.escalationId, t.step)
      .where(sql`${t.step} IS NOT NULL`),
  ],
);

/** Planned actions a manager records (`POST /v1/escalations/:id/actions`). */
export const escalationActions = pgTable(
  'escalation_actions',
  {
    id: id(),
    escalationId: uuid('escalation_id')
      .notNull()
      .references(() => escalations.id),
    description: text('description').notNull(),
    dueDate: date('due_date', { mode: 'string' }).notNull(),
    createdByStaffId: uuid('created_by_staff_id')
      .notNull()
      .references(() => staff.id),
    createdAt: createdAt(),
    /** When the assignee was reminded that the due date had passed (once per action). */
    remindedAt: timestamptz('reminded_at'),
  },
  (t) => [
    index('escalation_actions_escalation_idx').on(t.escalationId),
    index('escalation_actions_unreminded_idx')
      .on(t.dueDate)
      .where(sql`${t.remindedAt} IS NULL`),
  ],
);
