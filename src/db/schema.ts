import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { AckDeadlines, ChainSnapshot } from '../domain/escalation.js';
import { ESCALATION_STATES, OUTCOMES, STANCES } from '../domain/escalation.js';
import { RISK_BANDS, type BandThresholds } from '../domain/risk.js';
import { ALIGNMENT_STATES } from '../domain/alignment.js';
import {
  HARM_LEVELS,
  IDENTIFIER_POLICIES,
  ITEM_CATEGORIES,
  ITEM_KINDS,
  ITEM_STATUSES,
  SHIFTS,
  STAFF_ROLES,
} from '../domain/taxonomy.js';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

// ---------------------------------------------------------------------------
// Tenancy: an organisation is an NHS trust; every tenant row carries organisation_id.

export const organisations = pgTable('organisations', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  code: text('code').notNull().unique(),
  bandThresholds: jsonb('band_thresholds').$type<BandThresholds>().notNull(),
  identifierPolicy: text('identifier_policy', { enum: IDENTIFIER_POLICIES }).notNull().default('reject'),
  webhookUrl: text('webhook_url'),
  /** HMAC key for webhook signatures; shown once when the webhook is set. */
  webhookSecret: text('webhook_secret'),
  createdAt: createdAt(),
});

export const wards = pgTable(
  'wards',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    code: text('code').notNull(),
    name: text('name').notNull(),
    site: text('site'),
    division: text('division'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('wards_organisation_code_key').on(t.organisationId, t.code)],
);

export const staff = pgTable(
  'staff',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    name: text('name').notNull(),
    email: text('email').notNull(),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('staff_organisation_email_key').on(t.organisationId, sql`lower(${t.email})`)],
);

/** The wards a clinician works on, or a middle manager looks after. */
export const staffWards = pgTable(
  'staff_wards',
  {
    staffId: uuid('staff_id')
      .notNull()
      .references(() => staff.id),
    wardId: uuid('ward_id')
      .notNull()
      .references(() => wards.id),
  },
  (t) => [primaryKey({ columns: [t.staffId, t.wardId] }), index('staff_wards_ward_idx').on(t.wardId)],
);

/** Opaque bearer tokens. Only a SHA-256 of the token is stored; tokens carry 256 bits of entropy. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: ['platform_admin', 'staff', 'ward_device'] }).notNull(),
    organisationId: uuid('organisation_id').references(() => organisations.id),
    staffId: uuid('staff_id').references(() => staff.id),
    wardId: uuid('ward_id').references(() => wards.id),
    label: text('label'),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    check(
      'api_tokens_binding_check',
      sql`(${t.kind} = 'platform_admin' AND ${t.organisationId} IS NULL AND ${t.staffId} IS NULL AND ${t.wardId} IS NULL)
       OR (${t.kind} = 'staff' AND ${t.organisationId} IS NOT NULL AND ${t.staffId} IS NOT NULL AND ${t.wardId} IS NULL)
       OR (${t.kind} = 'ward_device' AND ${t.organisationId} IS NOT NULL AND ${t.wardId} IS NOT NULL AND ${t.staffId} IS NULL)`,
    ),
    index('api_tokens_organisation_idx').on(t.organisationId),
  ],
);

// ---------------------------------------------------------------------------
// Capture: briefings and the items raised at them.

export const briefings = pgTable(
  'briefings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    wardId: uuid('ward_id')
      .notNull()
      .references(() => wards.id),
    date: date('date', { mode: 'string' }).notNull(),
    shift: text('shift', { enum: SHIFTS }).notNull(),
    held: boolean('held').notNull(),
    notHeldReason: text('not_held_reason'),
    facilitator: text('facilitator'),
    attendanceNursing: smallint('attendance_nursing'),
    attendanceMedical: smallint('attendance_medical'),
    attendanceAllied: smallint('attendance_allied'),
    attendanceManager: smallint('attendance_manager'),
    attendanceOther: smallint('attendance_other'),
    durationMinutes: smallint('duration_minutes'),
    recordedByTokenId: uuid('recorded_by_token_id')
      .notNull()
      .references(() => apiTokens.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('briefings_ward_date_shift_key').on(t.wardId, t.date, t.shift),
    index('briefings_organisation_date_idx').on(t.organisationId, t.date),
  ],
);

export const items = pgTable(
  'items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    wardId: uuid('ward_id')
      .notNull()
      .references(() => wards.id),
    briefingId: uuid('briefing_id')
      .notNull()
      .references(() => briefings.id),
    /** The briefing's date, kept on the item so reports and lists need no join. */
    raisedOn: date('raised_on', { mode: 'string' }).notNull(),
    position: smallint('position').notNull(),
    kind: text('kind', { enum: ITEM_KINDS }).notNull(),
    category: text('category', { enum: ITEM_CATEGORIES }).notNull(),
    description: text('description').notNull(),
    consequence: smallint('consequence'),
    likelihood: smallint('likelihood'),
    riskScore: smallint('risk_score'),
    riskBand: text('risk_band', { enum: RISK_BANDS }),
    harm: text('harm', { enum: HARM_LEVELS }),
    status: text('status', { enum: ITEM_STATUSES }).notNull(),
    resolvedAtBriefing: boolean('resolved_at_briefing').notNull().default(false),
    actionTaken: text('action_taken'),
    /** The team's view: is change needed beyond the ward? (the clinical side of alignment) */
    needsChange: boolean('needs_change'),
    clinicalRationale: text('clinical_rationale'),
    clinicalPositionAt: timestamp('clinical_position_at', { withTimezone: true }),
    /** The responsible manager's latest stance, copied from the item's escalation. */
    managerialStance: text('managerial_stance', { enum: STANCES }),
    alignment: text('alignment', { enum: ALIGNMENT_STATES }).notNull().default('pending'),
    agreementReachedAt: timestamp('agreement_reached_at', { withTimezone: true }),
    /** The earlier item this one repeats (named at the briefing or found by similarity). */
    recurrenceOf: uuid('recurrence_of'),
    recurrenceSource: text('recurrence_source', { enum: ['named', 'detected'] }),
    /** The first item of the thread of repeats; null for a first raising. */
    threadId: uuid('thread_id'),
    resolutionNote: text('resolution_note'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedByTokenId: uuid('resolved_by_token_id').references(() => apiTokens.id),
    createdAt: createdAt(),
  },
  (t) => [
    index('items_briefing_idx').on(t.briefingId),
    index('items_thread_idx')
      .on(t.threadId)
      .where(sql`${t.threadId} IS NOT NULL`),
    index('items_ward_open_category_idx')
      .on(t.wardId, t.category, t.raisedOn)
      .where(sql`${t.status} = 'open'`),
    index('items_organisation_open_idx')
      .on(t.organisationId, t.wardId)
      .where(sql`${t.status} = 'open'`),
    index('items_ward_raised_idx').on(t.wardId, t.raisedOn, t.id),
    index('items_org_ward_raised_idx').on(t.organisationId, t.wardId, t.raisedOn, t.id),
    index('items_organisation_raised_idx').on(t.organisationId, t.raisedOn, t.id),
    check(
      'items_graded_check',
      sql`${t.kind} = 'good_practice' OR (${t.consequence} IS NOT NULL AND ${t.likelihood} IS NOT NULL)`,
    ),
  ],
);

// ---------------------------------------------------------------------------
// Offline-safe writes: one stored outcome per (token, Idempotency-Key).

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    tokenId: uuid('token_id')
      .notNull()
      .references(() => apiTokens.id),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['in_progress', 'completed', 'failed'] }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    responseContentType: text('response_content_type'),
    createdAt: createdAt(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

// ---------------------------------------------------------------------------
// Escalation to named managers.

export const escalationPolicies = pgTable('escalation_policies', {
  wardId: uuid('ward_id')
    .primaryKey()
    .references(() => wards.id),
  organisationId: uuid('organisation_id')
    .notNull()
    .references(() => organisations.id),
  levels: jsonb('levels').$type<string[]>().notNull(),
  ackWithinSeconds: jsonb('ack_within_seconds').$type<AckDeadlines>().notNull(),
  repeatEverySeconds: integer('repeat_every_seconds').notNull(),
  maxRepeats: integer('max_repeats').notNull(),
  minBandToEscalate: text('min_band_to_escalate', { enum: RISK_BANDS }).notNull(),
  categoryRoutes: jsonb('category_routes').$type<Partial<Record<string, string>>>().notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const escalations = pgTable(
  'escalations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    wardId: uuid('ward_id')
      .notNull()
      .references(() => wards.id),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
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
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    /** When the pending timer fires; null when no further automatic step is due. */
    nextStepAt: timestamp('next_step_at', { withTimezone: true }),
    /** Bumped by every change that replaces the pending timer; timer jobs carry the step they were made for. */
    step: integer('step').notNull().default(1),
    repeatsSent: smallint('repeats_sent').notNull().default(0),
    snoozedUntil: timestamp('snoozed_until', { withTimezone: true }),
    stance: text('stance', { enum: STANCES }),
    stanceRationale: text('stance_rationale'),
    stanceAt: timestamp('stance_at', { withTimezone: true }),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    outcome: text('outcome', { enum: OUTCOMES }),
    outcomeNote: text('outcome_note'),
    createdAt: createdAt(),
  },
  (t) => [
    // At most one open escalation per item, enforced by the database.
    uniqueIndex('escalations_one_open_per_item')
      .on(t.itemId)
      .where(sql`${t.state} <> 'resolved'`),
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
    firstAssignedAt: timestamp('first_assigned_at', { withTimezone: true }).notNull().defaultNow(),
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
    id: uuid('id').primaryKey().defaultRandom(),
    escalationId: uuid('escalation_id')
      .notNull()
      .references(() => escalations.id),
    description: text('description').notNull(),
    dueDate: date('due_date', { mode: 'string' }).notNull(),
    createdByStaffId: uuid('created_by_staff_id')
      .notNull()
      .references(() => staff.id),
    createdAt: createdAt(),
  },
  (t) => [index('escalation_actions_escalation_idx').on(t.escalationId)],
);

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
    type: text('type', { enum: ['assigned', 'reminder'] }).notNull(),
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

// ---------------------------------------------------------------------------
// Transactional outbox: jobs written with the data they concern, relayed to BullMQ.

export const outbox = pgTable('outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  queue: text('queue').notNull(),
  jobName: text('job_name').notNull(),
  jobId: text('job_id').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  /** When the job should run; the relay turns the remainder into a BullMQ delay. */
  runAt: timestamp('run_at', { withTimezone: true }).notNull().defaultNow(),
  createdAt: createdAt(),
});

// ---------------------------------------------------------------------------
// Alignment: every change of either side's position, and QI priorities items can serve.

export const positionChanges = pgTable(
  'position_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    side: text('side', { enum: ['clinical', 'managerial'] }).notNull(),
    needsChange: boolean('needs_change'),
    stance: text('stance', { enum: STANCES }),
    rationale: text('rationale'),
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
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
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
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
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

// ---------------------------------------------------------------------------
// Audit trail: append-only, hash-chained per organisation. Writers append events unsealed (no
// seq, no hash) in their own transactions; the sealer (src/audit/sealer.ts) then gives each its
// place in the chain. A trigger refuses DELETE, and any UPDATE other than that one sealing.

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    organisationId: uuid('organisation_id')
      .notNull()
      .references(() => organisations.id),
    /** Position in the organisation's chain, from 1; null until sealed. */
    seq: integer('seq'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    actorType: text('actor_type', { enum: ['staff', 'ward_device', 'platform_admin', 'system'] }).notNull(),
    actorId: uuid('actor_id'),
    actorRole: text('actor_role').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    action: text('action').notNull(),
    changes: jsonb('changes').$type<Record<string, unknown>>().notNull(),
    requestId: text('request_id'),
    /** Null until sealed. */
    prevHash: text('prev_hash'),
    /** Null until sealed. */
    hash: text('hash'),
  },
  (t) => [
    uniqueIndex('audit_events_organisation_seq_key').on(t.organisationId, t.seq),
    index('audit_events_unsealed_idx')
      .on(t.organisationId, t.id)
      .where(sql`${t.seq} is null`),
    check(
      'audit_events_sealed_whole',
      sql`(${t.seq} is null) = (${t.hash} is null) and (${t.hash} is null) = (${t.prevHash} is null)`,
    ),
    index('audit_events_entity_idx').on(t.entityType, t.entityId, t.id),
  ],
);
