import { and, eq, ne, type SQL } from 'drizzle-orm';
import { items } from '../db/schema.js';

/** A ward's open problems and risks (good practice is never open work). */
export function openIssuesOfWard(wardId: string): SQL {
  return and(eq(items.wardId, wardId), eq(items.status, 'open'), ne(items.kind, 'good_practice'))!;
}
