import type { items } from './schema.js';

/**
 * Row types of tables that several features read and write, kept with the schema they come
 * from so no feature has to import another to name them.
 */
export type ItemRow = typeof items.$inferSelect;
