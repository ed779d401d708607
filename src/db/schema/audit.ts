import { sql } from 'drizzle-orm';
import {
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { organisationRef } from './organisations-and-people.js';

// Audit trail: append-only, hash-chained per organisation. Writers append events unsealed (no
// seq, no hash) in their own transactions; the sealer (src/audit/sealer.ts) then gives each its
// place in the chain. A trigger refuses DELETE, and any UPDATE other than that one sealing.

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    organisationId: organisationRef(),
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
