import { and, desc, eq, inArray, or } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { escalationActions, escalationEvents, escalations, staff } from '../db/schema.js';
import type { EscalationState, Outcome, Stance } from '../domain/escalation.js';
import type { Barrier } from '../domain/taxonomy.js';
import { JOINING_EVENTS } from '../domain/escalation-thread.js';

/** What ward staff see of an item's escalation: where it is and what the manager said. */
export interface EscalationSummary {
  id: string;
  state: EscalationState;
  level: number;
  assignee: { id: string; name: string };
  dueAt: string;
  overdue: boolean;
  managerPosition: {
    stance: Stance;
    rationale: string | null;
    barriers: Barrier[];
    barrierNote: string | null;
    at: string;
  } | null;
  plannedActions: { description: string; dueDate: string }[];
  outcome: Outcome | null;
  outcomeNote: string | null;
  resolvedAt: string | null;
}

/** An escalation this request started, as the summary shows it: nothing has happened to it yet. */
export function startedSummary(id: string, assignee: { id: string; name: string }, dueAt: Date): EscalationSummary {
  return {
    id,
    state: 'open',
    level: 1,
    assignee,
    dueAt: dueAt.toISOString(),
    overdue: false,
    managerPosition: null,
    plannedActions: [],
    outcome: null,
    outcomeNote: null,
    resolvedAt: null,
  };
}

/**
 * The latest escalation of each item (the open one if any); an item with none of its own that
 * repeats an issue shows its thread's open escalation, or else the escalation it joined when it
 * was raised (resolved since). One query per table.
 */
export async function escalationSummaries(
  db: Executor,
  itemRows: { id: string; threadId: string | null }[],
  now = new Date(),
) {
  const result = new Map<string, EscalationSummary>();
  if (itemRows.length === 0) return result;
  const threadIds = [...new Set(itemRows.flatMap((r) => (r.threadId ? [r.threadId] : [])))];
  const rows = await db
    .select({ escalation: escalations, assigneeName: staff.name })
    .from(escalations)
    .innerJoin(staff, eq(staff.id, escalations.assigneeStaffId))
    .where(
      or(
        inArray(
          escalations.itemId,
          itemRows.map((r) => r.id),
        ),
        threadIds.length > 0 ? inArray(escalations.threadId, threadIds) : undefined,
      ),
    )
    .orderBy(desc(escalations.createdAt));
  const own = new Map<string, (typeof rows)[number]>();
  const openOfThread = new Map<string, (typeof rows)[number]>();
  for (const row of rows) {
    if (!own.has(row.escalation.itemId)) own.set(row.escalation.itemId, row);
    if (row.escalation.threadId && row.escalation.state !== 'resolved') openOfThread.set(row.escalation.threadId, row);
  }
  const joined = await joinedEscalations(db, rows);
  const latest = new Map<string, (typeof rows)[number]>();
  for (const item of itemRows) {
    const row =
      own.get(item.id) ?? (item.threadId ? (openOfThread.get(item.threadId) ?? joined.get(item.id)) : undefined);
    if (row) latest.set(item.id, row);
  }
  const escalationIds = [...latest.values()].map((r) => r.escalation.id);
  const actions = escalationIds.length
    ? await db
        .select()
        .from(escalationActions)
        .where(and(inArray(escalationActions.escalationId, escalationIds)))
        .orderBy(escalationActions.createdAt)
    : [];
  for (const [itemId, { escalation: e, assigneeName }] of latest) {
    result.set(itemId, {
      id: e.id,
      state: e.state,
      level: e.level + 1,
      assignee: { id: e.assigneeStaffId, name: assigneeName },
      dueAt: e.dueAt.toISOString(),
      overdue: e.state === 'open' && e.dueAt < now,
      managerPosition:
        e.stance && e.stanceAt
          ? {
              stance: e.stance,
              rationale: e.stanceRationale,
              // What stands in the way, so the ward hears why as well as what the manager thinks.
              barriers: e.stanceBarriers,
              barrierNote: e.stanceBarrierNote,
              at: e.stanceAt.toISOString(),
            }
          : null,
      plannedActions: actions
        .filter((a) => a.escalationId === e.id)
        .map((a) => ({ description: a.description, dueDate: a.dueDate })),
      outcome: e.outcome,
      outcomeNote: e.outcomeNote,
      resolvedAt: e.resolvedAt?.toISOString() ?? null,
    });
  }
  return result;
}

/** Which of the escalations each repeat joined (their joining events name it), the latest first. */
async function joinedEscalations<R extends { escalation: { id: string } }>(db: Executor, rows: R[]) {
  const joined = new Map<string, R>();
  if (rows.length === 0) return joined;
  const byId = new Map(rows.map((r) => [r.escalation.id, r]));
  const events = await db
    .select({ escalationId: escalationEvents.escalationId, details: escalationEvents.details })
    .from(escalationEvents)
    .where(
      and(
        inArray(escalationEvents.escalationId, [...byId.keys()]),
        inArray(escalationEvents.type, [...JOINING_EVENTS]),
      ),
    );
  // rows are newest first: the first escalation found for an item is the latest it joined.
  const order = new Map(rows.map((r, index) => [r.escalation.id, index]));
  events.sort((a, b) => order.get(a.escalationId)! - order.get(b.escalationId)!);
  for (const event of events) {
    const itemIds = Array.isArray(event.details.itemIds) ? (event.details.itemIds as string[]) : [];
    for (const itemId of itemIds) if (!joined.has(itemId)) joined.set(itemId, byId.get(event.escalationId)!);
  }
  return joined;
}
