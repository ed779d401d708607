import { and, asc, desc, eq, gte, lt, lte, ne, sql } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import type { ServiceDeps } from '../deps.js';
import { briefings, escalations, itemPriorities, items, priorities, staff } from '../db/schema.js';
import { persistentItems } from '../items/service.js';
import { presentItems } from '../items/present.js';
import { getWard } from '../wards/service.js';

const FALLBACK_LOOKBACK_DAYS = 7;

/**
 * What the ward needs at the start of its next briefing ("you said, we did"): what is still
 * open and what the managers answered, what was resolved since the last briefing, what is
 * overdue, what keeps coming back, and the priorities its issues serve.
 */
export async function briefingPack(deps: ServiceDeps, principal: TenantPrincipal, wardId: string, date: string, now = new Date()) {
  const { db } = deps;
  const ward = await getWard(db, principal, wardId);

  const [previous] = await db
    .select({ id: briefings.id, date: briefings.date, createdAt: briefings.createdAt })
    .from(briefings)
    .where(and(eq(briefings.wardId, wardId), eq(briefings.held, true), lt(briefings.date, date)))
    .orderBy(desc(briefings.date))
    .limit(1);
  const since =
    previous?.date ?? new Date(Date.parse(`${date}T00:00:00Z`) - FALLBACK_LOOKBACK_DAYS * 86_400_000).toISOString().slice(0, 10);
  const until = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000);

  const open = await db
    .select()
    .from(items)
    .where(and(eq(items.wardId, wardId), eq(items.status, 'open'), ne(items.kind, 'good_practice'), lte(items.raisedOn, date)))
    .orderBy(desc(items.riskScore), asc(items.raisedOn));

  const resolved = await db
    .select()
    .from(items)
    .where(
      and(
        eq(items.wardId, wardId),
        eq(items.status, 'resolved'),
        ne(items.kind, 'good_practice'),
        eq(items.resolvedAtBriefing, false),
        gte(items.resolvedAt, new Date(`${since}T00:00:00Z`)),
        lt(items.resolvedAt, until),
      ),
    )
    .orderBy(desc(items.resolvedAt));

  const overdue = await db
    .select({
      id: escalations.id,
      itemId: escalations.itemId,
      band: escalations.band,
      level: escalations.level,
      dueAt: escalations.dueAt,
      assignee: staff.name,
      description: items.description,
    })
    .from(escalations)
    .innerJoin(items, eq(items.id, escalations.itemId))
    .innerJoin(staff, eq(staff.id, escalations.assigneeStaffId))
    .where(and(eq(escalations.wardId, wardId), eq(escalations.state, 'open'), lt(escalations.dueAt, now)))
    .orderBy(asc(escalations.dueAt));

  const persistent = await persistentItems(deps, principal, { wardId, limit: 10 }, now);

  const linked = await db
    .select({
      id: priorities.id,
      title: priorities.title,
      level: priorities.level,
      active: priorities.active,
      items: sql<number>`count(*)::int`,
      openItems: sql<number>`count(*) filter (where ${items.status} = 'open')::int`,
    })
    .from(itemPriorities)
    .innerJoin(priorities, eq(priorities.id, itemPriorities.priorityId))
    .innerJoin(items, eq(items.id, itemPriorities.itemId))
    .where(and(eq(items.wardId, wardId), eq(priorities.active, true)))
    .groupBy(priorities.id, priorities.title, priorities.level, priorities.active)
    .orderBy(asc(priorities.title));

  const persistentPresented = await presentItems(
    db,
    persistent.map((p) => p.item),
  );
  const overdueItems = overdue.map((o) => o.itemId);
  return {
    ward: { id: ward.id, code: ward.code, name: ward.name },
    date,
    previousBriefing: previous ? { id: previous.id, date: previous.date } : null,
    since,
    openItems: await presentItems(db, open),
    resolvedSincePreviousBriefing: await presentItems(db, resolved),
    overdueEscalations: overdue.map((o) => ({
      id: o.id,
      itemId: o.itemId,
      description: o.description,
      band: o.band,
      level: o.level + 1,
      assignee: o.assignee,
      dueAt: o.dueAt.toISOString(),
    })),
    persistentIssues: persistentPresented.map((item, i) => ({ ...item, rank: persistent[i]!.rank })),
    priorities: linked,
    counts: {
      open: open.length,
      resolvedSincePreviousBriefing: resolved.length,
      overdueEscalations: overdueItems.length,
      persistent: persistent.length,
    },
  };
}

export type BriefingPack = Awaited<ReturnType<typeof briefingPack>>;
