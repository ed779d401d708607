import { and, eq, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { escalationPolicies, staff } from '../db/schema.js';

/**
 * Deactivated staff, as escalations see them: a chain climbs past them, a new chain leaves them
 * out, and a policy that names them needs attention.
 */

/** Those of `ids` who have been deactivated. */
export async function inactiveStaffAmong(db: Executor, ids: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Set();
  const rows = await db
    .select({ id: staff.id })
    .from(staff)
    .where(and(inArray(staff.id, unique), isNotNull(staff.deactivatedAt)));
  return new Set(rows.map((r) => r.id));
}

/**
 * The deactivated staff a policy row names (its levels and category routes), as a SQL
 * expression over `escalation_policies` in the enclosing query: an array, empty when none.
 */
export function inactiveNamedInPolicy(): SQL<string[]> {
  return sql<string[]>`coalesce((
    select array_agg(${staff.id}::text) from ${staff}
    where ${staff.deactivatedAt} is not null and ${staff.id}::text in (
      select jsonb_array_elements_text(${escalationPolicies.levels})
      union select value from jsonb_each_text(${escalationPolicies.categoryRoutes}))), '{}')`;
}

/** The wards whose policy names `staffId`, in a level or a category route. */
export async function policiesNaming(db: Executor, organisationId: string, staffId: string): Promise<string[]> {
  const rows = await db
    .select({ wardId: escalationPolicies.wardId })
    .from(escalationPolicies)
    .where(
      and(
        eq(escalationPolicies.organisationId, organisationId),
        sql`(${escalationPolicies.levels} @> ${JSON.stringify([staffId])}::jsonb
          or exists (select 1 from jsonb_each_text(${escalationPolicies.categoryRoutes}) where value = ${staffId}))`,
      ),
    )
    .orderBy(escalationPolicies.wardId);
  return rows.map((r) => r.wardId);
}
