import { and, asc, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import { wardScope, assertWardReadable, type TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor } from '../db/client.js';
import { actorOf, recordAudit } from '../audit/record.js';
import { isUniqueViolation } from '../db/errors.js';
import { wards } from '../db/schema.js';
import { conflict, notFound } from '../http/errors.js';
import { refuseIdentifiers, textFields } from '../screening/free-text.js';

export type WardRow = typeof wards.$inferSelect;

export function presentWard(row: WardRow) {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    site: row.site,
    division: row.division,
    createdAt: row.createdAt.toISOString(),
    closedAt: row.closedAt?.toISOString() ?? null,
    closureReason: row.closureReason,
  };
}

export async function createWard(
  db: Database,
  principal: TenantPrincipal,
  input: { code: string; name: string; site?: string | undefined; division?: string | undefined },
) {
  refuseIdentifiers(textFields({ name: input.name, site: input.site, division: input.division }));
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(wards)
        .values({
          organisationId: principal.organisationId,
          code: input.code,
          name: input.name,
          site: input.site ?? null,
          division: input.division ?? null,
        })
        .returning();
      await recordAudit(tx, {
        organisationId: principal.organisationId,
        actor: actorOf(principal),
        entityType: 'ward',
        entityId: row!.id,
        action: 'created',
        changes: { code: row!.code, name: row!.name, site: row!.site, division: row!.division },
      });
      return row!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`A ward with code ${input.code} already exists`);
    throw error;
  }
}

export async function listWards(
  db: Executor,
  principal: TenantPrincipal,
  filter: { closed?: boolean | undefined } = {},
) {
  const scope = wardScope(principal);
  if (scope !== 'all' && scope.length === 0) return [];
  const closed =
    filter.closed === undefined ? undefined : filter.closed ? isNotNull(wards.closedAt) : isNull(wards.closedAt);
  return db
    .select()
    .from(wards)
    .where(
      and(
        eq(wards.organisationId, principal.organisationId),
        scope === 'all' ? undefined : inArray(wards.id, scope),
        closed,
      ),
    )
    .orderBy(asc(wards.code));
}

/** A ward of the caller's organisation that the caller may see; otherwise 404. */
export async function getWard(db: Executor, principal: TenantPrincipal, wardId: string) {
  assertWardReadable(principal, wardId, 'Ward');
  const [row] = await db
    .select()
    .from(wards)
    .where(and(eq(wards.id, wardId), eq(wards.organisationId, principal.organisationId)));
  if (!row) throw notFound('Ward');
  return row;
}
