import type { TenantPrincipal } from '../auth/principal.js';
import type { ServiceDeps } from '../deps.js';
import { addDays, localDateOf } from '../domain/calendar.js';
import { presentItems } from '../items/present.js';
import { persistentItems } from '../items/persistent.js';
import { getWard } from '../wards/service.js';
import {
  linkedPrioritiesOf,
  openItemsOf,
  overdueActionsOf,
  overdueEscalationsOf,
  previousHeldBriefing,
  resolvedItemsOf,
  type LinkedPriorityRow,
  type OverdueActionRow,
  type OverdueEscalationRow,
} from './queries.js';

const FALLBACK_LOOKBACK_DAYS = 7;
const PERSISTENT_SHOWN = 10;

/**
 * What the ward needs at the start of its next briefing ("you said, we did"): what is still
 * open and what the managers answered, what was resolved since the last briefing, what is
 * overdue, what keeps coming back, and the priorities its issues serve.
 */
export async function briefingPack(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  wardId: string,
  date: string,
  now = new Date(),
) {
  const ward = await getWard(deps.db, principal, wardId);
  return presentBriefingPack(ward, date, await readBriefingPack(deps, principal, wardId, date, now));
}

export type BriefingPack = ReturnType<typeof presentBriefingPack>;
type PresentedItem = Awaited<ReturnType<typeof presentItems>>[number];

/** Everything the pack shows of one ward, as read. */
interface BriefingPackReading {
  previous: { id: string; date: string } | undefined;
  /** The first day looked back over: the previous held briefing's, or a week back when there was none. */
  since: string;
  /** Open problems and risks, one per thread of repeats. */
  openItems: PresentedItem[];
  resolvedItems: PresentedItem[];
  overdue: OverdueEscalationRow[];
  /** Planned actions whose due date has passed while their escalation is unresolved. */
  overdueActions: OverdueActionRow[];
  persistent: { item: PresentedItem; rank: number }[];
  priorities: LinkedPriorityRow[];
}

async function readBriefingPack(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  wardId: string,
  date: string,
  now: Date,
): Promise<BriefingPackReading> {
  const { db } = deps;
  const previous = await previousHeldBriefing(db, wardId, date);
  const since = previous?.date ?? addDays(date, -FALLBACK_LOOKBACK_DAYS);
  const open = await openItemsOf(db, wardId, date);
  const resolved = await resolvedItemsOf(
    db,
    wardId,
    new Date(`${since}T00:00:00Z`),
    new Date(`${addDays(date, 1)}T00:00:00Z`),
  );
  const overdue = await overdueEscalationsOf(db, wardId, now);
  const overdueActions = await overdueActionsOf(db, wardId, localDateOf(now));
  const persistent = await persistentItems(deps, principal, { wardId, limit: PERSISTENT_SHOWN }, now);
  const priorities = await linkedPrioritiesOf(db, wardId);
  const persistentPresented = await presentItems(
    db,
    persistent.map((p) => p.item),
  );
  return {
    previous,
    since,
    openItems: oncePerThread(await presentItems(db, open)),
    resolvedItems: await presentItems(db, resolved),
    overdue,
    overdueActions,
    persistent: persistentPresented.map((item, i) => ({ item, rank: persistent[i]!.rank })),
    priorities,
  };
}

/**
 * Each open thread of repeats once: its most urgent open item (the list is in that order), which
 * carries how often and since when the issue has been raised (`recurrence`).
 */
export function oncePerThread(list: PresentedItem[]) {
  const seen = new Set<string>();
  return list.filter((item) => {
    if (seen.has(item.recurrence.threadId)) return false;
    seen.add(item.recurrence.threadId);
    return true;
  });
}

/** Pure: the pack from what was read. */
export function presentBriefingPack(
  ward: { id: string; code: string; name: string },
  date: string,
  reading: BriefingPackReading,
) {
  return {
    ward: { id: ward.id, code: ward.code, name: ward.name },
    date,
    previousBriefing: reading.previous ? { id: reading.previous.id, date: reading.previous.date } : null,
    since: reading.since,
    openItems: reading.openItems,
    resolvedSincePreviousBriefing: reading.resolvedItems,
    overdueEscalations: reading.overdue.map((o) => ({
      id: o.id,
      itemId: o.itemId,
      description: o.description,
      band: o.band,
      level: o.level + 1,
      assignee: o.assignee,
      dueAt: o.dueAt.toISOString(),
    })),
    overdueActions: reading.overdueActions.map((a) => ({
      id: a.id,
      escalationId: a.escalationId,
      itemId: a.itemId,
      description: a.description,
      dueDate: a.dueDate,
      assignee: a.assignee,
    })),
    persistentIssues: reading.persistent.map(({ item, rank }) => ({ ...item, rank })),
    priorities: reading.priorities,
    counts: {
      open: reading.openItems.length,
      resolvedSincePreviousBriefing: reading.resolvedItems.length,
      overdueEscalations: reading.overdue.length,
      overdueActions: reading.overdueActions.length,
      persistent: reading.persistent.length,
    },
  };
}
