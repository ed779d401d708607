import { and, desc, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { assertWardReadable, canReadWard, isWardStaff, wardScope, type TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { escalationAssignees, escalations, items, organisations } from '../db/schema.js';
import { rows as statementRows, statementAlias } from '../db/sql.js';
import type { ServiceDeps } from '../deps.js';
import { recordPosition } from '../alignment/positions.js';
import { tuningOf, type Tuning } from '../deps.js';
import { addDays, localDateOf } from '../domain/calendar.js';
import { byPersistence, daysBetween, isPersistent, persistenceRank } from '../domain/persistence.js';
import { actorOf, recordAudit } from '../audit/record.js';
import type { RiskBand } from '../domain/risk.js';
import type { ItemCategory, ItemStatus } from '../domain/taxonomy.js';
import { conflict, notFound } from '../http/errors.js';
import { afterCursorNewestFirst, decodeCursor, paginate } from '../http/pagination.js';
import { listedWards } from '../auth/staff-scope.js';
import { screenFreeText } from '../screening/free-text.js';
import { liveItem } from './conditions.js';

export async function getItem(
  db: Database,
  principal: TenantPrincipal,
  itemId: string,
  options: { voided: boolean } = { voided: false },
) {
  const [row] = await db
    .select()
    .from(items)
    .where(
      and(
        eq(items.id, itemId),
        eq(items.organisationId, principal.organisationId),
        options.voided ? undefined : liveItem(),
      ),
    );
  if (!row) throw notFound('Item');
  if (!canReadWard(principal, row.wardId) && !(await heldEscalationOf(db, principal, row.id))) throw notFound('Item');
  return row;
}

/** Managers who hold or held an item's escalation may read the item, whatever their wards. */
async function heldEscalationOf(db: Database, principal: TenantPrincipal, itemId: string) {
  if (!principal.staffId) return false;
  const [held] = await db
    .select({ id: escalations.id })
    .from(escalations)
    .innerJoin(escalationAssignees, eq(escalationAssignees.escalationId, escalations.id))
    .where(and(eq(escalations.itemId, itemId), eq(escalationAssignees.staffId, principal.staffId)))
    .limit(1);
  return Boolean(held);
}

export interface ItemFilter {
  wardId?: string | undefined;
  status?: ItemStatus | undefined;
  band?: RiskBand | undefined;
  category?: ItemCategory | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** Newest first by the date raised; keyset pagination on (raised_on, id). */
export async function listItems(db: Database, principal: TenantPrincipal, filter: ItemFilter) {
  const wardsListed = listedWards(principal, filter.wardId, items.wardId);
  if (wardsListed === null) return { data: [], nextCursor: null };
  const rows = await db
    .select()
    .from(items)
    .where(
      and(
        eq(items.organisationId, principal.organisationId),
        liveItem(),
        wardsListed,
        filter.status ? eq(items.status, filter.status) : undefined,
        filter.band ? eq(items.riskBand, filter.band) : undefined,
        filter.category ? eq(items.category, filter.category) : undefined,
        filter.from ? gte(items.raisedOn, filter.from) : undefined,
        filter.to ? lte(items.raisedOn, filter.to) : undefined,
        afterCursorNewestFirst(items.raisedOn, items.id, decodeCursor(filter.cursor)),
      ),
    )
    .orderBy(desc(items.raisedOn), desc(items.id))
    .limit(filter.limit + 1);
  return paginate(rows, filter.limit, (row) => ({ after: row.raisedOn, id: row.id }));
}

/** Ward staff record or change the team's view: is change needed beyond the ward? */
export async function setClinicalPosition(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  itemId: string,
  input: { needsChange: boolean; rationale?: string | undefined },
) {
  const { db } = deps;
  const current = await getItem(db, principal, itemId);
  if (!isWardStaff(principal, current.wardId)) throw notFound('Item');
  if (current.kind === 'good_practice') throw conflict('Good practice has no position on change');
  const [organisation] = await db
    .select({ identifierPolicy: organisations.identifierPolicy })
    .from(organisations)
    .where(eq(organisations.id, principal.organisationId));
  const rationale = input.rationale
    ? screenFreeText(
        [{ path: 'rationale', text: input.rationale }],
        organisation?.identifierPolicy ?? 'reject',
      ).redactedText('rationale', input.rationale)
    : null;
  return db.transaction(async (tx) => {
    const [locked] = await tx.select().from(items).where(eq(items.id, itemId)).for('update');
    return recordPosition(
      tx,
      locked!,
      { side: 'clinical', needsChange: input.needsChange, rationale },
      { actor: actorOf(principal), staffId: principal.staffId, tokenId: principal.tokenId },
      new Date(),
    );
  });
}

/**
 * Ward staff undo a wrong repeat link. The item starts its own thread, and so do the items
 * that were linked to it as repeats (and their repeats in turn).
 */
export async function unlinkRecurrence(deps: ServiceDeps, principal: TenantPrincipal, itemId: string) {
  const { db } = deps;
  const current = await getItem(db, principal, itemId);
  if (!isWardStaff(principal, current.wardId)) throw notFound('Item');
  if (!current.recurrenceOf) throw conflict('The item is not linked as a repeat');
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(items)
      .set({ recurrenceOf: null, recurrenceSource: null, threadId: null })
      .where(eq(items.id, itemId))
      .returning();
    await tx.execute(sql`
      with recursive repeats as (
        select id from items where recurrence_of = ${itemId}
        union
        select i.id from items i join repeats r on i.recurrence_of = r.id
      )
      update items set thread_id = ${itemId} where id in (select id from repeats)`);
    await recordAudit(tx, {
      organisationId: current.organisationId,
      actor: actorOf(principal),
      entityType: 'item',
      entityId: itemId,
      action: 'recurrence_unlinked',
      changes: {
        recurrenceOf: { from: current.recurrenceOf, to: null },
        threadId: { from: current.threadId, to: null },
        source: current.recurrenceSource,
      },
    });
    return updated!;
  });
}

interface ThreadStats {
  threadId: string;
  timesRaised: number;
  firstRaisedOn: string;
  maxRiskScore: number;
  latestItemId: string;
}

/** Which wards' items count: the one asked for, or every ward the principal reads. */
function wardCondition(scope: 'all' | string[], wardId: string | undefined) {
  if (wardId) return sql`and i.ward_id = ${wardId}::uuid`;
  if (scope === 'all') return sql``;
  return sql`and i.ward_id in (${sql.join(
    scope.map((id) => sql`${id}::uuid`),
    sql`, `,
  )})`;
}

/** The statements' name for items (`items i`), for the shared conditions. */
const i = statementAlias(items, 'i');

/** Threads with an open item that were raised often enough, or first raised before `since`. */
async function candidateThreads(
  db: Database,
  organisationId: string,
  wardFilter: SQL,
  minRaised: number,
  since: string,
): Promise<ThreadStats[]> {
  // Only threads with an open item can be persistent: find those first (partial index on open
  // items), then aggregate just their items (a thread is its first item and those naming it).
  return statementRows<ThreadStats>(
    db,
    sql`
    with open_threads as materialized (
      select distinct coalesce(i.thread_id, i.id) as thread_id
      from items i
      where i.organisation_id = ${organisationId}::uuid and i.status = 'open'
        and i.kind <> 'good_practice' and ${liveItem(i)} ${wardFilter}
    ),
    members as (
      select i.* from items i join open_threads t on i.id = t.thread_id
      union all
      select i.* from items i join open_threads t on i.thread_id = t.thread_id and i.id <> t.thread_id
    )
    select coalesce(i.thread_id, i.id) as "threadId",
      count(*)::int as "timesRaised",
      min(i.raised_on)::text as "firstRaisedOn",
      coalesce(max(i.risk_score), 0)::int as "maxRiskScore",
      (array_agg(i.id order by i.raised_on desc, i.created_at desc))[1] as "latestItemId"
    from members i
    where i.kind <> 'good_practice' and ${liveItem(i)} ${wardFilter}
    group by 1
    having count(*) >= ${minRaised} or min(i.raised_on) < ${since}::date
  `,
  );
}

/** The persistent threads, highest rank first, at most `limit`. */
function rankThreads(threads: ThreadStats[], tuning: Tuning, todayIso: string, limit: number) {
  return threads
    .map((t) => {
      const stats = {
        riskScore: t.maxRiskScore,
        timesRaised: t.timesRaised,
        daysOpen: daysBetween(t.firstRaisedOn, todayIso),
      };
      return {
        ...t,
        daysOpen: stats.daysOpen,
        riskScore: stats.riskScore,
        rank: persistenceRank(stats),
        persistent: isPersistent(stats, {
          minRaised: tuning.persistentMinRaised,
          minDaysOpen: tuning.persistentMinDays,
        }),
      };
    })
    .filter((t) => t.persistent)
    .sort(byPersistence)
    .slice(0, limit);
}

/**
 * Persistent issues: threads with an open item, raised at least `minRaised` times or open
 * longer than `minDays`, ranked by persistenceRank (src/domain/persistence.ts). Each thread is
 * represented by its latest item.
 */
export async function persistentItems(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  filter: { wardId?: string | undefined; limit: number },
  today = new Date(),
) {
  const { db } = deps;
  const tuning = tuningOf(deps);
  const scope = wardScope(principal);
  if (filter.wardId) assertWardReadable(principal, filter.wardId, 'Ward');
  else if (scope !== 'all' && scope.length === 0) return [];
  // Days are the trust's calendar days, not UTC's.
  const todayIso = localDateOf(today);
  const since = addDays(todayIso, -tuning.persistentMinDays);
  const wardFilter = wardCondition(scope, filter.wardId);
  const threads = await candidateThreads(db, principal.organisationId, wardFilter, tuning.persistentMinRaised, since);
  const ranked = rankThreads(threads, tuning, todayIso, filter.limit);
  if (ranked.length === 0) return [];
  const rows = await db
    .select()
    .from(items)
    .where(
      inArray(
        items.id,
        ranked.map((t) => t.latestItemId),
      ),
    );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ranked.map((t) => ({ item: byId.get(t.latestItemId)!, rank: Math.round(t.rank * 100) / 100 }));
}
