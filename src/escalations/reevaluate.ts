import { and, eq, ne, sql, type SQLWrapper } from 'drizzle-orm';
import { auditInsert, type AuditActor } from '../audit/record.js';
import type { Transaction } from '../db/client.js';
import { escalations, type EscalationEventType } from '../db/schema.js';
import { insertTogether } from '../db/together.js';
import { reevaluateEscalation, type Reevaluation } from '../domain/correction.js';
import type { Outcome } from '../domain/escalation.js';
import type { RiskBand } from '../domain/risk.js';
import { notificationsInsert, type NewNotification } from '../notifications/service.js';
import { outboxInsert } from '../queue/outbox.js';
import { startEscalations, type EscalatableItem } from './engine.js';
import { escalationAudit, eventsInsert } from './history.js';
import { escalationRules, loadPolicy } from './policy.js';
import { timerJob, type EscalationRow } from './timer.js';

/**
 * What a correction of an item (src/corrections) does to its escalation: a new band brings the
 * deadline forward or closes it, a voided item closes it. Each change replaces the pending timer
 * the way a manager's action does: the row moves to the next step (so the old timer finds itself
 * stale), and the next timer, event, notification and audit entry are written in one statement.
 */

export interface Corrector {
  actor: AuditActor;
  staffId: string | null;
  tokenId: string;
  /** Whether the organisation has a webhook (notifications are then delivered to it). */
  webhook: boolean;
  now: Date;
}

/** The item's escalation that is not resolved yet, locked; null when it has none. */
export async function lockOpenEscalation(tx: Transaction, itemId: string) {
  const [row] = await tx
    .select()
    .from(escalations)
    .where(and(eq(escalations.itemId, itemId), ne(escalations.state, 'resolved')))
    .for('update');
  return row ?? null;
}

export type EscalationEffect = Reevaluation['kind'];

/**
 * Re-evaluates the item's escalation after its band changed from `from` (the item is already
 * updated): answers what was done. Runs in the caller's transaction, the item's row locked.
 */
export async function reevaluateAfterAmendment(
  tx: Transaction,
  item: EscalatableItem,
  from: RiskBand | null,
  who: Corrector,
): Promise<EscalationEffect> {
  const escalation = await lockOpenEscalation(tx, item.id);
  const policy = await loadPolicy(tx, item.wardId);
  const decision = reevaluateEscalation({
    from,
    to: item.riskBand,
    itemOpen: item.status === 'open' && item.kind !== 'good_practice',
    escalation,
    policy: policy && escalationRules(policy),
    now: who.now,
  });
  if (decision.kind === 'start' && policy) {
    const started = startEscalations([item], {
      policy,
      trigger: 'automatic',
      actorStaffId: who.staffId,
      actorTokenId: who.tokenId,
      actor: who.actor,
      webhook: who.webhook,
      now: who.now,
    });
    await insertTogether(tx, [...started.inserts, auditInsert(started.audit)]);
  } else if (escalation && decision.kind === 'close') {
    await closeEscalation(tx, escalation, 'downgraded', who, { band: { from: escalation.band, to: item.riskBand } });
  } else if (escalation && (decision.kind === 'shorten' || decision.kind === 'rebanded')) {
    await rebandEscalation(tx, escalation, item.riskBand!, decision.kind === 'shorten' ? decision.dueAt : null, who);
  }
  return decision.kind;
}

/**
 * Records the escalation's new band; with `dueAt` the deadline comes forward to it (never later),
 * the pending timer is replaced by one at the new deadline, and the assignee is told.
 */
export async function rebandEscalation(
  tx: Transaction,
  current: EscalationRow,
  band: RiskBand,
  dueAt: Date | null,
  who: Corrector,
) {
  const step = current.step + 1;
  const changes: Record<string, unknown> = { band: { from: current.band, to: band } };
  if (!dueAt) {
    await tx.update(escalations).set({ band }).where(eq(escalations.id, current.id));
    await insertTogether(tx, [
      eventsInsert([eventOf(current, 'rebanded', null, changes, who)]),
      auditInsert([escalationAudit(current, who.actor, 'rebanded', changes, who.now)]),
    ]);
    return;
  }
  await bringDeadlineForward(tx, current, band, dueAt, who.now);
  changes.dueAt = { from: current.dueAt.toISOString(), to: dueAt.toISOString() };
  const notice = noticeOf(current, 'reminder', step, dueAt, who);
  await insertTogether(tx, [
    eventsInsert([eventOf(current, 'rebanded', step, changes, who)]),
    ...notice.inserts,
    outboxInsert([timerJob(current.id, step, dueAt), ...notice.webhooks]),
    auditInsert([escalationAudit(current, who.actor, 'rebanded', changes, who.now)]),
  ]);
}

/**
 * Moves the escalation to its next step with a sooner deadline (and band): the pending timer
 * finds itself stale; the caller writes the next timer's outbox row for `current.step + 1`.
 */
export async function bringDeadlineForward(
  tx: Transaction,
  current: EscalationRow,
  band: RiskBand,
  dueAt: Date,
  now: Date,
) {
  const ackWithinSeconds = Math.round((dueAt.getTime() - now.getTime()) / 1000);
  await tx
    .update(escalations)
    .set({
      band,
      dueAt,
      nextStepAt: dueAt,
      chain: { ...current.chain, ackWithinSeconds: Math.min(current.chain.ackWithinSeconds, ackWithinSeconds) },
      step: sql`${escalations.step} + 1`,
    })
    .where(eq(escalations.id, current.id));
}

/**
 * Closes an escalation a correction made pointless (`downgraded` or `voided`): it is resolved
 * with that outcome, its timer stops (the row moves to the next step with no timer), and its
 * assignee is told. The item keeps its status: the ward still owns it (or it was voided).
 */
export async function closeEscalation(
  tx: Transaction,
  current: EscalationRow,
  outcome: Extract<Outcome, 'downgraded' | 'voided'>,
  who: Corrector,
  details: Record<string, unknown> = {},
) {
  const step = current.step + 1;
  await tx
    .update(escalations)
    .set({ state: 'resolved', outcome, resolvedAt: who.now, nextStepAt: null, step: sql`${escalations.step} + 1` })
    .where(eq(escalations.id, current.id));
  const changes = { state: { from: current.state, to: 'resolved' }, outcome, ...details };
  const notice = noticeOf(current, 'closed', step, current.dueAt, who);
  const writes: SQLWrapper[] = [
    eventsInsert([eventOf(current, 'closed', step, { outcome, ...details }, who)]),
    ...notice.inserts,
    auditInsert([escalationAudit(current, who.actor, 'closed', changes, who.now)]),
  ];
  if (notice.webhooks.length > 0) writes.push(outboxInsert(notice.webhooks));
  await insertTogether(tx, writes);
}

export function eventOf(
  current: EscalationRow,
  type: EscalationEventType,
  step: number | null,
  details: Record<string, unknown>,
  who: Corrector,
) {
  return {
    escalationId: current.id,
    type,
    step,
    level: current.level,
    assigneeStaffId: current.assigneeStaffId,
    actorStaffId: who.staffId,
    actorTokenId: who.tokenId,
    details,
    at: who.now,
  };
}

/** The assignee's notification of the change (and its webhook delivery). */
export function noticeOf(
  current: EscalationRow,
  type: NewNotification['type'],
  step: number,
  dueAt: Date,
  who: Corrector,
  raisedCount?: number,
) {
  return notificationsInsert(
    [
      {
        ...(raisedCount === undefined ? {} : { raisedCount }),
        organisationId: current.organisationId,
        escalationId: current.id,
        recipientStaffId: current.assigneeStaffId,
        type,
        step,
        level: current.level,
        dueAt,
        createdAt: who.now,
      },
    ],
    who.webhook,
  );
}
