import { sql } from 'drizzle-orm';
import {
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
import { RISK_BANDS, type BandThresholds } from '../domain/risk.js';
import { HARM_LEVELS, IDENTIFIER_POLICIES, ITEM_CATEGORIES, ITEM_KINDS, ITEM_STATUSES, SHIFTS, STAFF_ROLES } from '../domain/taxonomy.js';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

// ---------------------------------------------------------------------------
// Tenancy: an organisation is an NHS trust; every tenant row carries organisation_id.

export const organisations = pgTable('organisations', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  code: text('code').notNull().unique(),
  bandThresholds: jsonb('band_thresholds').$type<BandThresholds>().notNull(),
  identifierPolicy: text('identifier_policy', { enum: IDENTIFIER_POLICIES }).notNull().default('reject'),
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
    needsChange: boolean('needs_change'),
    resolutionNote: text('resolution_note'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedByTokenId: uuid('resolved_by_token_id').references(() => apiTokens.id),
    createdAt: createdAt(),
  },
  (t) => [
    index('items_briefing_idx').on(t.briefingId),
    index('items_ward_raised_idx').on(t.wardId, t.raisedOn, t.id),
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
    state: text('state', { enum: ['in_progress', 'completed'] }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    responseContentType: text('response_content_type'),
    createdAt: createdAt(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);
