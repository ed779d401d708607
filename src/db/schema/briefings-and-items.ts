import { sql } from 'drizzle-orm';
import { boolean, check, date, index, jsonb, pgTable, smallint, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { STANCES } from '../../domain/escalation.js';
import { RISK_BANDS } from '../../domain/risk.js';
import { ALIGNMENT_STATES } from '../../domain/alignment.js';
import { HARM_LEVELS, ITEM_CATEGORIES, ITEM_KINDS, ITEM_STATUSES, SHIFTS } from '../../domain/taxonomy.js';
import { createdAt, id, timestamptz } from './columns.js';
import { apiTokens, organisationRef, staff, wardRef } from './organisations-and-people.js';
import { CORRECTION_ACTIONS } from '../../domain/correction.js';

// Capture: briefings and the items raised at them.

export const briefings = pgTable(
  'briefings',
  {
    id: id(),
    organisationId: organisationRef(),
    wardId: wardRef(),
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
    id: id(),
    organisationId: organisationRef(),
    wardId: wardRef(),
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
    clinicalPositionAt: timestamptz('clinical_position_at'),
    /** The responsible manager's latest stance, copied from the item's escalation. */
    managerialStance: text('managerial_stance', { enum: STANCES }),
    alignment: text('alignment', { enum: ALIGNMENT_STATES }).notNull().default('pending'),
    agreementReachedAt: timestamptz('agreement_reached_at'),
    /** The earlier item this one repeats (named at the briefing or found by similarity). */
    recurrenceOf: uuid('recurrence_of'),
    recurrenceSource: text('recurrence_source', { enum: ['named', 'detected'] }),
    /** The first item of the thread of repeats; null for a first raising. */
    threadId: uuid('thread_id'),
    resolutionNote: text('resolution_note'),
    resolvedAt: timestamptz('resolved_at'),
    resolvedByTokenId: uuid('resolved_by_token_id').references(() => apiTokens.id),
    /**
     * Set when the item was voided as entered in error: it then leaves every list and report
     * (the condition liveItem in src/items/conditions.ts); the audit trail and its corrections keep it.
     */
    voidedAt: timestamptz('voided_at'),
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
    // Persistent issues of a whole trust (src/items/persistent.ts): open first raisings by risk
    // and age; the items that repeat a thread, and the open ones among them, by organisation.
    index('items_open_first_raising_rank_idx')
      .on(t.organisationId, sql`coalesce(${t.riskScore}, 0)`, t.raisedOn, t.id)
      .where(
        sql`${t.status} = 'open' AND ${t.kind} <> 'good_practice' AND ${t.voidedAt} IS NULL AND ${t.threadId} IS NULL`,
      ),
    index('items_org_thread_idx')
      .on(t.organisationId, t.threadId)
      .where(sql`${t.threadId} IS NOT NULL`),
    index('items_open_repeat_idx')
      .on(t.organisationId, t.threadId)
      .where(
        sql`${t.status} = 'open' AND ${t.kind} <> 'good_practice' AND ${t.voidedAt} IS NULL AND ${t.threadId} IS NOT NULL`,
      ),
    check(
      'items_graded_check',
      sql`${t.kind} = 'good_practice' OR (${t.consequence} IS NOT NULL AND ${t.likelihood} IS NOT NULL)`,
    ),
  ],
);

/**
 * Corrections of recorded items (amended, voided, redacted, added after the briefing), each
 * with its reason. The audit trail records each one by its id and never copies free text, so the
 * reason lives here, where a later redaction can still reach it.
 */
export const itemCorrections = pgTable(
  'item_corrections',
  {
    id: id(),
    organisationId: organisationRef(),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    action: text('action', { enum: CORRECTION_ACTIONS }).notNull(),
    /** The fields it changed (names only for free text; { from, to } for grades and codes). */
    changes: jsonb('changes').$type<Record<string, unknown>>().notNull(),
    reason: text('reason').notNull(),
    actorStaffId: uuid('actor_staff_id').references(() => staff.id),
    actorTokenId: uuid('actor_token_id')
      .notNull()
      .references(() => apiTokens.id),
    createdAt: createdAt(),
  },
  (t) => [index('item_corrections_item_idx').on(t.itemId, t.createdAt)],
);
