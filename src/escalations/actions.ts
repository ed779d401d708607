import { and, eq, inArray, sql } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database, Transaction } from '../db/client.js';
import { escalationActions, escalations, items, organisations, staff } from '../db/schema.js';
import type { EscalationEventType } from '../db/schema.js';
import {
  addSeconds,
  nextState,
  type EscalationAction,
  type EscalationState,
  type Outcome,
  type Stance,
} from '../domain/escalation.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { screenFreeText, type ScreenedField } from '../items/screening.js';
import { outboxInsert } from '../queue/outbox.js';
import { canReadEscalation } from './access.js';
import { actorOf, recordAudit, textRef } from '../audit/record.js';
import { recordPosition } from '../alignment/positions.js';
import { notificationsInsert } from '../notifications/service.js';
import type { Relay } from '../deps.js';
import { assigneesInsert, eventsInsert, recordEvents, type NewEscalationEvent } from './history.js';
import { timerJob, type EscalationRow } from './timer.js';
import { insertTogether } from '../db/together.js';

export type ActionInput =
  | { action: 'acknowledge' }
  | { action: 'position'; stance: Stance; rationale: string }
  | { action: 'actions'; description: string; dueDate: string }
  | { action: 'resolve'; outcome: Outcome; note: string }
  | { action: 'reassign'; staffId: string; reason: string }
  | { action: 'escalate'; reason: string }
  | { action: 'snooze'; until: string; reason: string }
  | { action: 'comment'; text: string };

const EVENT_OF: Record<EscalationAction, EscalationEventType> = {
  acknowledge: 'acknowledged',
  position: 'position',
  actions: 'action_planned',
  resolve: 'resolved',
  reassign: 'reassigned',
  escalate: 'escalated',
  snooze: 'snoozed',
  comment: 'comment',
};

function freeTextOf(input: ActionInput): ScreenedField[] {
  switch (input.action) {
    case 'position':
      return [{ path: 'rationale', text: input.rationale }];
    case 'actions':
      return [{ path: 'description', text: input.description }];
    case 'resolve':
      return [{ path: 'note', text: input.note }];
    case 'reassign':
    case 'escalate':
    case 'snooze':
      return [{ path: 'reason', text: input.reason }];
    case 'comment':
      return [{ path: 'text', text: input.text }];
    case 'acknowledge':
      return [];
  }
}

/**
 * One manager action on an escalation, in one transaction with the row locked. Only the
 * current assignee may act; an action the state does not allow is 409.
 */
export async function actOnEscalation(
  deps: { db: Database; relay: Relay },
  principal: TenantPrincipal,
  escalationId: string,
  input: ActionInput,
  now = new Date(),
) {
  const [organisation] = await deps.db
    .select({ identifierPolicy: organisations.identifierPolicy, webhook: sql<boolean>`${organisations.webhookUrl} is not null` })
    .from(organisations)
    .where(eq(organisations.id, principal.organisationId));
  const screen = screenFreeText(freeTextOf(input), organisation?.identifierPolicy ?? 'reject');
  const clean = (path: string, text: string) => screen.redactedText(path, text);

  await deps.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(escalations)
      .where(and(eq(escalations.id, escalationId), eq(escalations.organisationId, principal.organisationId)))
      .for('update');
    if (!current || !(await canReadEscalation(tx, principal, current))) throw notFound('Escalation');
    if (current.assigneeStaffId !== principal.staffId) {
      throw new AppError('forbidden', 'Only the manager the escalation is assigned to may act on it');
    }
    const to = nextState(current.state, input.action);
    if (!to) {
      throw conflict(`Cannot ${input.action} an escalation that is ${current.state.replace('_', ' ')}`, {
        state: current.state,
      });
    }
    const details = await applyAction(tx, principal, current, to, input, { clean, webhook: organisation?.webhook ?? false }, now);
    await recordAudit(tx, {
      organisationId: current.organisationId,
      actor: actorOf(principal),
      entityType: 'escalation',
      entityId: current.id,
      action: input.action,
      changes: { ...(current.state !== to ? { state: { from: current.state, to } } : {}), ...details },
      at: now,
    });
  });
  deps.relay.nudge();
}

async function applyAction(
  tx: Transaction,
  principal: TenantPrincipal,
  current: EscalationRow,
  to: EscalationState,
  input: ActionInput,
  /** Free text as screened for identifiers; whether the organisation has a webhook. */
  { clean, webhook }: { clean: (path: string, text: string) => string; webhook: boolean },
  now: Date,
): Promise<Record<string, unknown>> {
  const actor = { actorStaffId: principal.staffId, actorTokenId: principal.tokenId };
  const nextStep = current.step + 1;
  const update = (set: Partial<EscalationRow>, replacesTimer: boolean) =>
    tx
      .update(escalations)
      .set({ ...set, state: to, ...(replacesTimer ? { step: sql`${escalations.step} + 1` } : {}) })
      .where(eq(escalations.id, current.id));
  const eventOf = (
    details: Record<string, unknown>,
    replacesTimer: boolean,
    level = current.level,
    assignee = current.assigneeStaffId,
  ): NewEscalationEvent => ({
    escalationId: current.id,
    type: EVENT_OF[input.action],
    step: replacesTimer ? nextStep : null,
    level,
    assigneeStaffId: assignee,
    ...actor,
    details,
    at: now,
  });
  const event = (details: Record<string, unknown>, replacesTimer: boolean) => recordEvents(tx, [eventOf(details, replacesTimer)]);

  switch (input.action) {
    case 'acknowledge': {
      // Acknowledging stops the chain: the pending timer is replaced by none.
      await update({ acknowledgedAt: now, nextStepAt: null }, true);
      await event({ withinDeadline: now <= current.dueAt }, true);
      return { withinDeadline: now <= current.dueAt };
    }
    case 'position': {
      const rationale = clean('rationale', input.rationale);
      await update({ stance: input.stance, stanceRationale: rationale, stanceAt: now }, false);
      await event({ stance: input.stance, previousStance: current.stance }, false);
      // The manager's stance is the managerial side of the item's alignment.
      const [item] = await tx.select().from(items).where(eq(items.id, current.itemId));
      await recordPosition(
        tx,
        item!,
        { side: 'managerial', stance: input.stance, rationale },
        { actor: actorOf(principal), staffId: principal.staffId, tokenId: principal.tokenId },
        now,
      );
      return { stance: { from: current.stance, to: input.stance }, rationale: textRef(rationale) };
    }
    case 'actions': {
      await tx.insert(escalationActions).values({
        escalationId: current.id,
        description: clean('description', input.description),
        dueDate: input.dueDate,
        createdByStaffId: principal.staffId!,
        createdAt: now,
      });
      await update({}, false);
      await event({ dueDate: input.dueDate }, false);
      return { action: textRef(input.description), dueDate: input.dueDate };
    }
    case 'resolve': {
      const note = clean('note', input.note);
      await update({ resolvedAt: now, outcome: input.outcome, outcomeNote: note, nextStepAt: null }, true);
      await tx
        .update(items)
        .set({ status: 'resolved', resolvedAt: now, resolutionNote: note, resolvedByTokenId: principal.tokenId })
        .where(and(eq(items.id, current.itemId), eq(items.status, 'open')));
      await event({ outcome: input.outcome }, true);
      await recordAudit(tx, {
        organisationId: current.organisationId,
        actor: actorOf(principal),
        entityType: 'item',
        entityId: current.itemId,
        action: 'resolved',
        changes: { status: { from: 'open', to: 'resolved' }, outcome: input.outcome, note: textRef(note), escalationId: current.id },
        at: now,
      });
      return { outcome: input.outcome, note: textRef(note) };
    }
    case 'reassign': {
      if (input.staffId === current.assigneeStaffId) {
        throw conflict('The escalation is already assigned to that manager');
      }
      await assertManager(tx, principal.organisationId, input.staffId);
      await moveTo(current.level, input.staffId, { reason: clean('reason', input.reason) });
      return { assigneeStaffId: { from: current.assigneeStaffId, to: input.staffId }, reason: textRef(input.reason) };
    }
    case 'escalate': {
      const toLevel = current.level + 1;
      const next = current.chain.levels[toLevel];
      if (!next) throw conflict('The escalation is already at the last level of its chain');
      await moveTo(toLevel, next, { reason: clean('reason', input.reason) });
      return {
        level: { from: current.level + 1, to: toLevel + 1 },
        assigneeStaffId: { from: current.assigneeStaffId, to: next },
        reason: textRef(input.reason),
      };
    }
    case 'snooze': {
      const until = new Date(input.until);
      if (until <= now) {
        throw new AppError('validation_failed', 'until must be in the future', {
          errors: [{ path: 'body.until', message: 'must be in the future' }],
        });
      }
      await update({ snoozedUntil: until }, false);
      await event({ until: until.toISOString(), reason: clean('reason', input.reason) }, false);
      return { snoozedUntil: { from: current.snoozedUntil?.toISOString() ?? null, to: until.toISOString() } };
    }
    case 'comment': {
      await event({ text: clean('text', input.text) }, false);
      return { comment: textRef(input.text) };
    }
  }

  /** Reassign and escalate: open again at the new assignee, with a fresh deadline and timer. */
  async function moveTo(level: number, staffId: string, details: Record<string, unknown>) {
    const dueAt = addSeconds(now, current.chain.ackWithinSeconds);
    await update(
      {
        level,
        assigneeStaffId: staffId,
        dueAt,
        nextStepAt: dueAt,
        repeatsSent: 0,
        acknowledgedAt: null,
        snoozedUntil: null,
      },
      true,
    );
    const notice = notificationsInsert(
      [
        {
          organisationId: current.organisationId,
          escalationId: current.id,
          recipientStaffId: staffId,
          type: 'assigned',
          step: nextStep,
          level,
          dueAt,
          createdAt: now,
        },
      ],
      webhook,
    );
    // What the move writes after the update goes in one statement, as a timer's climb does.
    await insertTogether(tx, [
      assigneesInsert([{ escalationId: current.id, staffId }]),
      eventsInsert([eventOf({ ...details, fromLevel: current.level + 1, fromStaffId: current.assigneeStaffId }, true, level, staffId)]),
      ...notice.inserts,
      outboxInsert([timerJob(current.id, nextStep, dueAt), ...notice.webhooks]),
    ]);
  }
}

async function assertManager(tx: Transaction, organisationId: string, staffId: string) {
  const [manager] = await tx
    .select({ id: staff.id })
    .from(staff)
    .where(
      and(
        eq(staff.id, staffId),
        eq(staff.organisationId, organisationId),
        inArray(staff.role, ['middle_manager', 'senior_manager']),
      ),
    );
  if (!manager) {
    throw new AppError('validation_failed', 'staffId must be a middle or senior manager of this organisation', {
      errors: [{ path: 'body.staffId', message: 'must be a middle or senior manager of this organisation' }],
    });
  }
}
