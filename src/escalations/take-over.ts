import { and, eq, sql } from 'drizzle-orm';
import { actorOf, auditInsert, textRef } from '../audit/record.js';
import { canReadWard, type TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { escalations, organisations } from '../db/schema.js';
import { insertTogether } from '../db/together.js';
import type { Relay } from '../deps.js';
import { conflict, notFound } from '../http/errors.js';
import { notificationsInsert } from '../notifications/service.js';
import { outboxInsert } from '../queue/outbox.js';
import { screenFreeText } from '../screening/free-text.js';
import { hasWebhook } from '../webhooks/settings.js';
import { assigneesInsert, escalationAudit, eventsInsert } from './history.js';

/**
 * A senior manager takes over an escalation in their scope: it becomes theirs, taken on at once
 * (an open one counts as acknowledged by them, so its deadline timer stops), the history records
 * it with the reason, and the manager it was taken from is told.
 */
export async function takeOverEscalation(
  deps: { db: Database; relay: Relay },
  principal: TenantPrincipal,
  escalationId: string,
  body: { reason: string },
  now = new Date(),
) {
  const [organisation] = await deps.db
    .select({ identifierPolicy: organisations.identifierPolicy, webhook: hasWebhook() })
    .from(organisations)
    .where(eq(organisations.id, principal.organisationId));
  const screen = screenFreeText([{ path: 'reason', text: body.reason }], organisation?.identifierPolicy ?? 'reject');
  const reason = screen.redactedText('reason', body.reason);
  const taker = principal.staffId!;

  await deps.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(escalations)
      .where(and(eq(escalations.id, escalationId), eq(escalations.organisationId, principal.organisationId)))
      .for('update');
    if (!current || !canReadWard(principal, current.wardId)) throw notFound('Escalation');
    if (current.state === 'resolved')
      throw conflict('Cannot take over a resolved escalation', { state: current.state });
    if (current.assigneeStaffId === taker) throw conflict('The escalation is already assigned to you');
    const state = current.state === 'open' ? 'acknowledged' : current.state;
    await tx
      .update(escalations)
      .set({
        assigneeStaffId: taker,
        state,
        acknowledgedAt: current.acknowledgedAt ?? now,
        nextStepAt: null,
        snoozedUntil: null,
        step: sql`${escalations.step} + 1`,
      })
      .where(eq(escalations.id, current.id));
    await insertTogether(
      tx,
      takeOverWrites({ current, principal, taker, state, reason, webhook: organisation?.webhook ?? false, now }),
    );
  });
  deps.relay.nudge();
}

/** What a take-over writes after the row: the assignee, event, notification, webhook job and audit entry. */
function takeOverWrites(t: {
  current: typeof escalations.$inferSelect;
  principal: TenantPrincipal;
  taker: string;
  state: (typeof escalations.$inferSelect)['state'];
  reason: string;
  webhook: boolean;
  now: Date;
}) {
  const { current, principal, taker, state, reason, now } = t;
  const step = current.step + 1;
  const notice = notificationsInsert(
    [
      {
        organisationId: current.organisationId,
        escalationId: current.id,
        recipientStaffId: current.assigneeStaffId,
        type: 'taken_over',
        step,
        level: current.level,
        dueAt: current.dueAt,
        createdAt: now,
      },
    ],
    t.webhook,
  );
  const changes = {
    assigneeStaffId: { from: current.assigneeStaffId, to: taker },
    ...(state !== current.state ? { state: { from: current.state, to: state } } : {}),
    reason: textRef(reason),
  };
  return [
    assigneesInsert([{ escalationId: current.id, staffId: taker }]),
    eventsInsert([
      {
        escalationId: current.id,
        type: 'taken_over',
        step,
        level: current.level,
        assigneeStaffId: taker,
        actorStaffId: taker,
        actorTokenId: principal.tokenId,
        details: { fromStaffId: current.assigneeStaffId, reason },
        at: now,
      },
    ]),
    ...notice.inserts,
    ...(notice.webhooks.length > 0 ? [outboxInsert(notice.webhooks)] : []),
    auditInsert([escalationAudit(current, actorOf(principal), 'taken_over', changes, now)]),
  ];
}
