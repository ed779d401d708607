import { timestamp, uuid } from 'drizzle-orm/pg-core';

/** The primary key of most tables: a random UUID. */
export const id = () => uuid('id').primaryKey().defaultRandom();

/** A timestamp with time zone (every instant is stored as one). */
export const timestamptz = (name: string) => timestamp(name, { withTimezone: true });

/** The creation time every table records. */
export const createdAt = () => timestamptz('created_at').notNull().defaultNow();
