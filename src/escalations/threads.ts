import { and, asc, eq, inArray, ne, or, sql, type SQLWrapper } from 'drizzle-orm';
import { auditInsert } from '../audit/record.js';
import type { Executor, Transaction } from '../db/client.js';
import { escalationEvents, escalations, items } from '../db/schema.js';
import { advisoryXactLocks } from '../db/sql.js';
import { insertTogether } from '../db/together.js';
import { JOINING_EVENTS, joinRepeat } from '../domain/escalation-thread.js';
import type { RiskBand } from '../domain/risk.js';
import { liveItem } from '../items/conditions.js';
import { outboxInsert } from '../queue/outbox.js';
import { escalationAudit, eventsInsert } from './history.js';
import { escalationRules, type PolicyRow } from './policy.js';
import { bringDeadlineForward, eventOf, noticeOf, type Corrector } from './reevaluate.js';
import { timerJob, type EscalationRow } from './timer.js';

/**
 * One escalation per thread of repeats: a repeat of an issue whose thread has an open escalation
 * joins it (the assignee is told how often it has now been raised, and a higher band brings the
 * deadline forward) instead of opening another. The database holds it: at most one open
 * escalation per thread (`escalations_one_open_per_thread`).
 */

/**
 * The open escalations of the given threads, locked for the recording's transaction, by thread.
 * Each thread is locked first (a transaction-scoped advisory lock, in thread order so two
 * recordings never wait on each other in a circle), so repeats of one thread recorded at the same
 * moment take turns: a thread without an open escalation cannot get two, and the later one sees
 * (and joins) the escalation the earlier one started or joined.
 */
export async function lockOpenThreadEscalations(tx: Executor, threadIds: string[]) {
  const open = new Map<string, EscalationRow>();
  if (threadIds.length === 0) return open;
  await advisoryXactLocks(
    tx,
    threadIds.map((threadId) => `escalation-thread:${threadId}`),
  );
  const rows = await tx
    .select()
    .from(escalations)
    .where(and(inArray(escalations.threadId, [...new Set(threadIds)]), ne(escalations.state, 'resolved')))
    .orderBy(asc(escalations.id))
    .for('update');
  for (const row of rows) open.set(row.threadId!, row);
  return open;
}

/** How often the thread has been raised: its items (voided ones left out). */
export async function timesRaised(tx: Executor, threadId: string) {
  const [row] = await tx
    .select({ count: sql<number>`count(*)::int` })
    .from(items)
    .where(and(or(eq(items.id, threadId), eq(items.threadId, threadId)), liveItem()));
  return row?.count ?? 0;
}

/** Repeats that joined one open escalation, with their bands. */
export interface ThreadJoin {
  escalation: EscalationRow;
  items: { id: string; riskBand: RiskBand | null }[];
}

/**
 * Writes what the repeats (already inserted) do to their threads' open escalations: a
 * `raised_again` event and notification with the thread's count, and, when a higher band brings
 * the deadline forward, the next step with its timer. Runs in the caller's transaction, the
 * escalations locked by lockOpenThreadEscalations.
 */
export async function joinThreads(tx: Transaction, joins: ThreadJoin[], policy: PolicyRow, who: Corrector) {
  for (const join of joins) await joinThread(tx, join, policy, who);
}

async function joinThread(
  tx: Transaction,
  { escalation: current, items: repeats }: ThreadJoin,
  policy: PolicyRow,
  who: Corrector,
) {
  const raisedCount = await timesRaised(tx, current.threadId!);
  const decision = joinRepeat(
    current,
    repeats.flatMap((r) => (r.riskBand ? [r.riskBand] : [])),
    escalationRules(policy),
    who.now,
  );
  const changes: Record<string, unknown> = { itemIds: repeats.map((r) => r.id), raisedCount };
  if (decision.band !== current.band) changes.band = { from: current.band, to: decision.band };
  const writes: SQLWrapper[] = [];
  let step: number | null = null;
  let notice;
  if (decision.dueAt) {
    step = current.step + 1;
    await bringDeadlineForward(tx, current, decision.band, decision.dueAt, who.now);
    changes.dueAt = { from: current.dueAt.toISOString(), to: decision.dueAt.toISOString() };
    notice = noticeOf(current, 'raised_again', step, decision.dueAt, who, raisedCount);
    writes.push(outboxInsert([timerJob(current.id, step, decision.dueAt), ...notice.webhooks]));
  } else {
    if (decision.band !== current.band) {
      await tx.update(escalations).set({ band: decision.band }).where(eq(escalations.id, current.id));
    }
    // No new step: the pending timer stays as it is.
    notice = noticeOf(current, 'raised_again', current.step, current.dueAt, who, raisedCount);
    if (notice.webhooks.length > 0) writes.push(outboxInsert(notice.webhooks));
  }
  await insertTogether(tx, [
    eventsInsert([eventOf(current, 'raised_again', step, changes, who)]),
    ...notice.inserts,
    ...writes,
    auditInsert([escalationAudit(current, who.actor, 'raised_again', changes, who.now)]),
  ]);
}

const JOINING_EVENT_LIST = sql.raw(JOINING_EVENTS.map((type) => `'${type}'`).join(', '));

/**
 * The items joined to the escalation `escalationId` (a column or a value): the item it was opened
 * for, the repeats that joined it (its joining events name them) and the items of the
 * escalations merged into it. As a subquery of item ids.
 */
export function joinedItemIds(escalationId: SQLWrapper) {
  return sql`(
    SELECT je.item_id FROM ${escalations} je WHERE je.id = ${escalationId} OR je.merged_into_id = ${escalationId}
    UNION
    SELECT jsonb_array_elements_text(ev.details -> 'itemIds')::uuid FROM ${escalationEvents} ev
    WHERE ev.escalation_id = ${escalationId} AND ev.type IN (${JOINING_EVENT_LIST}))`;
}

/**
 * The open escalation the item is joined to, locked: its own, or its thread's that it joined as a
 * repeat (an item unlinked from the thread since has left it); null when none.
 */
export async function lockJoinedEscalation(tx: Executor, item: { id: string; threadId: string | null }) {
  const [row] = await tx
    .select()
    .from(escalations)
    .where(
      and(
        ne(escalations.state, 'resolved'),
        or(
          eq(escalations.itemId, item.id),
          and(
            eq(escalations.threadId, item.threadId ?? item.id),
            sql`${item.id}::uuid IN ${joinedItemIds(escalations.id)}`,
          ),
        ),
      ),
    )
    .for('update');
  return row ?? null;
}

type JoinedTo = Pick<EscalationRow, 'id' | 'itemId' | 'threadId'>;

/** The items joined to the escalation, and still of its thread, that are open (voided ones left out). */
function openJoined(escalation: JoinedTo) {
  return and(
    sql`${items.id} IN ${joinedItemIds(sql`${escalation.id}::uuid`)}`,
    or(eq(items.id, escalation.itemId), sql`coalesce(${items.threadId}, ${items.id}) = ${escalation.threadId}`),
    eq(items.status, 'open'),
    liveItem(),
  );
}

/** How many items joined to the escalation, and still of its thread, are open (voided ones left out). */
export async function openJoinedItems(tx: Executor, escalation: JoinedTo) {
  const [row] = await tx
    .select({ count: sql<number>`count(*)::int` })
    .from(items)
    .where(openJoined(escalation));
  return row?.count ?? 0;
}

/**
 * An escalation whose own item was voided while repeats joined to it are still open now stands
 * for the earliest of them, so every list that shows an escalation's item shows a live one.
 * Answers that item's id.
 */
export async function carryByOpenRepeat(tx: Executor, escalation: JoinedTo): Promise<string | null> {
  const [row] = await tx
    .select({ id: items.id })
    .from(items)
    .where(openJoined(escalation))
    .orderBy(asc(items.raisedOn), asc(items.id))
    .limit(1);
  if (!row) return null;
  await tx.update(escalations).set({ itemId: row.id }).where(eq(escalations.id, escalation.id));
  return row.id;
}

/**
 * Resolves every open item joined to the escalation (the item it was opened for and its joined
 * repeats, voided ones left out) as the escalation is resolved; answers their ids, the item it was
 * opened for first. Items the ward resolved already keep their own resolution.
 */
export async function resolveJoinedItems(
  tx: Executor,
  escalation: JoinedTo,
  resolution: { resolvedAt: Date; resolutionNote: string; resolvedByTokenId: string },
) {
  const rows = await tx
    .update(items)
    .set({ status: 'resolved', ...resolution })
    .where(openJoined(escalation))
    .returning({ id: items.id });
  const ids = rows.map((r) => r.id).sort();
  return [...ids.filter((id) => id === escalation.itemId), ...ids.filter((id) => id !== escalation.itemId)];
}
