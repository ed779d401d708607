import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { itemPriorities, items, priorities } from '../db/schema.js';
import type { ItemRow } from '../db/rows.js';
import { localDateOf, REPORT_TIME_ZONE } from '../domain/calendar.js';
import { daysBetween } from '../domain/persistence.js';
import { escalationSummaries, type EscalationSummary } from './escalation-summary.js';
import { liveItem } from './conditions.js';

export interface ThreadSummary {
  threadId: string;
  timesRaised: number;
  firstRaisedOn: string;
  lastRaisedOn: string;
  open: boolean;
  daysOpen: number;
}

export interface ItemExtras {
  escalation: EscalationSummary | null;
  priorities: { id: string; title: string; active: boolean }[];
  thread: ThreadSummary | null;
}

export const threadKeyOf = (row: Pick<ItemRow, 'id' | 'threadId'>) => row.threadId ?? row.id;

export function presentItem(row: ItemRow, extras: Partial<ItemExtras> = {}) {
  const linked = extras.priorities ?? [];
  return {
    id: row.id,
    briefingId: row.briefingId,
    wardId: row.wardId,
    raisedOn: row.raisedOn,
    kind: row.kind,
    category: row.category,
    description: row.description,
    consequence: row.consequence,
    likelihood: row.likelihood,
    riskScore: row.riskScore,
    riskBand: row.riskBand,
    harm: row.harm,
    status: row.status,
    resolvedAtBriefing: row.resolvedAtBriefing,
    actionTaken: row.actionTaken,
    needsChange: row.needsChange,
    clinicalPosition:
      row.needsChange === null
        ? null
        : {
            needsChange: row.needsChange,
            rationale: row.clinicalRationale,
            at: row.clinicalPositionAt?.toISOString() ?? null,
          },
    managerialPosition: row.managerialStance,
    alignment: {
      state: row.alignment,
      agreementReachedAt: row.agreementReachedAt?.toISOString() ?? null,
      priorityAligned: linked.some((p) => p.active),
    },
    priorities: linked,
    recurrence: {
      recurrenceOf: row.recurrenceOf,
      source: row.recurrenceSource,
      threadId: threadKeyOf(row),
      timesRaised: extras.thread?.timesRaised ?? 1,
      firstRaisedOn: extras.thread?.firstRaisedOn ?? row.raisedOn,
      daysOpen: extras.thread?.daysOpen ?? 0,
    },
    resolution:
      row.status === 'resolved' && row.resolvedAt
        ? { note: row.resolutionNote, resolvedAt: row.resolvedAt.toISOString() }
        : null,
    escalation: extras.escalation ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Every item of a thread counts: how often it was raised, since when, and how long it has
 * been open (to today while any item of the thread is open, else to its last resolution).
 */
export async function threadSummaries(db: Executor, threadIds: string[], today = new Date()) {
  const result = new Map<string, ThreadSummary>();
  if (threadIds.length === 0) return result;
  const key = sql<string>`coalesce(${items.threadId}, ${items.id})`;
  const rows = await db
    .select({
      threadId: key,
      timesRaised: sql<number>`count(*)::int`,
      firstRaisedOn: sql<string>`min(${items.raisedOn})::text`,
      lastRaisedOn: sql<string>`max(${items.raisedOn})::text`,
      open: sql<boolean>`bool_or(${items.status} = 'open')`,
      lastResolvedOn: sql<string | null>`(max(${items.resolvedAt}) at time zone ${REPORT_TIME_ZONE}::text)::date::text`,
    })
    .from(items)
    .where(and(or(inArray(items.threadId, threadIds), inArray(items.id, threadIds)), liveItem()))
    .groupBy(key);
  const todayIso = localDateOf(today);
  for (const row of rows) result.set(row.threadId, summariseThread(row, todayIso));
  return result;
}

interface ThreadAggregate {
  threadId: string;
  timesRaised: number;
  firstRaisedOn: string;
  lastRaisedOn: string;
  open: boolean;
  lastResolvedOn: string | null;
}

/** `todayIso`: the trust's calendar day (localDateOf), not UTC's: just after midnight in a UK summer they differ. */
function summariseThread(row: ThreadAggregate, todayIso: string): ThreadSummary {
  const end = row.open ? todayIso : (row.lastResolvedOn ?? todayIso);
  return {
    threadId: row.threadId,
    timesRaised: row.timesRaised,
    firstRaisedOn: row.firstRaisedOn,
    lastRaisedOn: row.lastRaisedOn,
    open: row.open,
    daysOpen: Math.max(0, daysBetween(row.firstRaisedOn, end)),
  };
}

/** The thread of an item nothing else links to yet: itself alone. */
const threadOfOne = (row: ItemRow, todayIso: string) =>
  summariseThread(
    {
      threadId: threadKeyOf(row),
      timesRaised: 1,
      firstRaisedOn: row.raisedOn,
      lastRaisedOn: row.raisedOn,
      open: row.status === 'open',
      lastResolvedOn: row.resolvedAt ? localDateOf(row.resolvedAt) : null,
    },
    todayIso,
  );

/** Items as the API shows them: with their escalation, priority links and thread of repeats. */
export async function presentItems(db: Executor, rows: ItemRow[]) {
  const ids = rows.map((r) => r.id);
  const summaries = await escalationSummaries(db, rows, new Date());
  const links = ids.length
    ? await db
        .select({
          itemId: itemPriorities.itemId,
          id: priorities.id,
          title: priorities.title,
          active: priorities.active,
        })
        .from(itemPriorities)
        .innerJoin(priorities, eq(priorities.id, itemPriorities.priorityId))
        .where(and(inArray(itemPriorities.itemId, ids)))
    : [];
  const threads = await threadSummaries(db, [...new Set(rows.map(threadKeyOf))]);
  return rows.map((row) =>
    presentItem(row, {
      escalation: summaries.get(row.id) ?? null,
      priorities: links.filter((l) => l.itemId === row.id).map(({ id, title, active }) => ({ id, title, active })),
      thread: threads.get(threadKeyOf(row)) ?? null,
    }),
  );
}

/**
 * Items this request has just written, with the escalations it started: none is linked to a
 * priority yet, and only the threads they joined can hold other items, so at most one query.
 */
export async function presentRecordedItems(db: Executor, rows: ItemRow[], started: Map<string, EscalationSummary>) {
  const today = new Date();
  const todayIso = localDateOf(today);
  const threads = await threadSummaries(
    db,
    [...new Set(rows.filter((row) => row.threadId !== null).map(threadKeyOf))],
    today,
  );
  return rows.map((row) =>
    presentItem(row, {
      escalation: started.get(row.id) ?? null,
      thread: threads.get(threadKeyOf(row)) ?? threadOfOne(row, todayIso),
    }),
  );
}
