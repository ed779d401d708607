import { and, eq, ne, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { items } from '../db/schema.js';

/**
 * An item as every list and report reads it: not voided as entered in error. Pass the alias a
 * raw statement names the table by (statementAlias(items, 'i')); drizzle queries use `items`.
 * Only the audit trail (and the item's corrections) still reach a voided item.
 */
export function liveItem(table: { voidedAt: SQLWrapper } = items): SQL {
  return sql`${table.voidedAt} IS NULL`;
}

/**
 * An escalation as every report reads it: not closed because its item was voided (its item has
 * left the reports, so it leaves them too), nor a duplicate merged into its thread's escalation
 * (the thread is counted once, by the escalation it was merged into).
 */
export function liveEscalation(table: { outcome: SQLWrapper }): SQL {
  return sql`coalesce(${table.outcome}, '') NOT IN ('voided', 'merged')`;
}

/** A ward's open problems and risks (good practice is never open work). */
export function openIssuesOfWard(wardId: string): SQL {
  return and(eq(items.wardId, wardId), eq(items.status, 'open'), ne(items.kind, 'good_practice'), liveItem())!;
}
