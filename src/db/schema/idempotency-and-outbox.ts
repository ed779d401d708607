import { bigserial, index, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';
import { apiTokens } from './organisations-and-people.js';

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
    lockedUntil: timestamptz('locked_until').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
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
  runAt: timestamptz('run_at').notNull().defaultNow(),
  createdAt: createdAt(),
  /** The W3C traceparent of the work that wrote the row (null without tracing): its job continues that trace. */
  traceparent: text('traceparent'),
});
