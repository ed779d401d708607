// The database schema, one file per area under ./schema/. Importers and drizzle.config.ts use this
// file; the areas import each other for the foreign keys they need.
export * from './schema/organisations-and-people.js';
export * from './schema/briefings-and-items.js';
export * from './schema/idempotency-and-outbox.js';
export * from './schema/escalations.js';
export * from './schema/notifications-and-webhooks.js';
export * from './schema/alignment.js';
export * from './schema/audit.js';
export * from './schema/cover-and-mail.js';
