import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { BandThresholds } from '../../domain/risk.js';
import { IDENTIFIER_POLICIES, STAFF_ROLES } from '../../domain/taxonomy.js';
import { createdAt, id, timestamptz } from './columns.js';

// Tenancy: an organisation is an NHS trust; every tenant row carries organisation_id.

export const organisations = pgTable('organisations', {
  id: id(),
  name: text('name').notNull(),
  code: text('code').notNull().unique(),
  bandThresholds: jsonb('band_thresholds').$type<BandThresholds>().notNull(),
  identifierPolicy: text('identifier_policy', { enum: IDENTIFIER_POLICIES }).notNull().default('reject'),
  webhookUrl: text('webhook_url'),
  /** HMAC key for webhook signatures; shown once when the webhook is set. */
  webhookSecret: text('webhook_secret'),
  createdAt: createdAt(),
});

/** The owning organisation of a tenant row. */
export const organisationRef = () =>
  uuid('organisation_id')
    .notNull()
    .references(() => organisations.id);

export const wards = pgTable(
  'wards',
  {
    id: id(),
    organisationId: organisationRef(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    site: text('site'),
    division: text('division'),
    createdAt: createdAt(),
    /** A closed ward takes no new briefings; its open items stay open until resolved. */
    closedAt: timestamptz('closed_at'),
    closureReason: text('closure_reason'),
  },
  (t) => [uniqueIndex('wards_organisation_code_key').on(t.organisationId, t.code)],
);

/** The ward a row belongs to. */
export const wardRef = () =>
  uuid('ward_id')
    .notNull()
    .references(() => wards.id);

export const staff = pgTable(
  'staff',
  {
    id: id(),
    organisationId: organisationRef(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    /** The person's identifier at the trust's identity provider when it is not their email (a staff number). */
    externalId: text('external_id'),
    createdAt: createdAt(),
    /** A deactivated person has no tokens, holds no open escalation and is left out of new chains. */
    deactivatedAt: timestamptz('deactivated_at'),
    deactivationReason: text('deactivation_reason'),
  },
  (t) => [
    uniqueIndex('staff_organisation_email_key').on(t.organisationId, sql`lower(${t.email})`),
    uniqueIndex('staff_organisation_external_id_key')
      .on(t.organisationId, t.externalId)
      .where(sql`${t.externalId} IS NOT NULL`),
  ],
);

/** The wards a clinician works on, or a middle manager looks after. */
export const staffWards = pgTable(
  'staff_wards',
  {
    staffId: uuid('staff_id')
      .notNull()
      .references(() => staff.id),
    wardId: wardRef(),
  },
  (t) => [primaryKey({ columns: [t.staffId, t.wardId] }), index('staff_wards_ward_idx').on(t.wardId)],
);

export const TOKEN_KINDS = ['platform_admin', 'staff', 'ward_device', 'identity_provider'] as const;

/**
 * Opaque bearer tokens. Only a SHA-256 of the token is stored; tokens carry 256 bits of entropy.
 * A row of kind `identity_provider` is no bearer token: it stands for a staff member's sign-ins
 * through the organisation's identity provider (one per person), so their requests have a token
 * id like every other caller (idempotency keys, the audit trail, last use).
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    kind: text('kind', { enum: TOKEN_KINDS }).notNull(),
    organisationId: uuid('organisation_id').references(() => organisations.id),
    staffId: uuid('staff_id').references(() => staff.id),
    wardId: uuid('ward_id').references(() => wards.id),
    label: text('label'),
    tokenHash: text('token_hash').notNull().unique(),
    /** The first characters of the token, so a person can tell their tokens apart; null for tokens issued before. */
    prefix: text('prefix'),
    createdAt: createdAt(),
    revokedAt: timestamptz('revoked_at'),
    /** Null only for the configured BOOTSTRAP_ADMIN_TOKEN, which lives as long as it is configured. */
    expiresAt: timestamptz('expires_at'),
    /** Updated at most once a minute per token. */
    lastUsedAt: timestamptz('last_used_at'),
    /** The token that replaced this one by rotation; this one then works only until its grace period ends. */
    replacedById: uuid('replaced_by_id'),
  },
  (t) => [
    check(
      'api_tokens_binding_check',
      sql`(${t.kind} = 'platform_admin' AND ${t.organisationId} IS NULL AND ${t.staffId} IS NULL AND ${t.wardId} IS NULL)
       OR (${t.kind} = 'staff' AND ${t.organisationId} IS NOT NULL AND ${t.staffId} IS NOT NULL AND ${t.wardId} IS NULL)
       OR (${t.kind} = 'ward_device' AND ${t.organisationId} IS NOT NULL AND ${t.wardId} IS NOT NULL AND ${t.staffId} IS NULL)
       OR (${t.kind} = 'identity_provider' AND ${t.organisationId} IS NOT NULL AND ${t.staffId} IS NOT NULL AND ${t.wardId} IS NULL)`,
    ),
    index('api_tokens_organisation_idx').on(t.organisationId),
    uniqueIndex('api_tokens_identity_provider_staff_key')
      .on(t.staffId)
      .where(sql`${t.kind} = 'identity_provider'`),
  ],
);

/**
 * An organisation's identity provider (OpenID Connect): tokens whose issuer and audience match
 * are verified against the issuer's published keys and name a staff member by `claim`. Two
 * trusts may share an issuer (NHS CIS2), never an issuer and an audience.
 */
export const identityProviders = pgTable(
  'identity_providers',
  {
    organisationId: uuid('organisation_id')
      .primaryKey()
      .references(() => organisations.id),
    issuer: text('issuer').notNull(),
    audience: text('audience').notNull(),
    /** `email` matches staff.email (case-insensitive); any other claim matches staff.external_id. */
    claim: text('claim').notNull(),
    createdAt: createdAt(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('identity_providers_issuer_audience_key').on(t.issuer, t.audience)],
);
