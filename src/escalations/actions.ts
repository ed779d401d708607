import { and, eq, inArray, sql } from 'drizzle-orm';
import { recordPosition } from '../alignment/positions.js';
import { actorOf, recordAudit, recordAudits, textRef } from '../audit/record.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database, Transaction } from '../db/client.js';
import { escalationActions, escalations, items, organisations, staff } from '../db/schema.js';
import type { EscalationEventType } from '../db/schema.js';
import { insertTogether } from '../db/together.js';
import type { Relay } from '../deps.js';
import {
  addSeconds,
  nextActiveLevel,
  nextState,
  responseReminderAt,
  type EscalationAction,
  type EscalationState,
} from '../domain/escalation.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { screenFreeText, type ScreenedField } from '../screening/free-text.js';
import { notificationsInsert } from '../notifications/service.js';
import { outboxInsert } from '../queue/outbox.js';
import { hasWebhook } from '../webhooks/settings.js';
import { actingFor, canReadEscalation } from './access.js';
import { assigneesInsert, escalationAudit, eventsInsert, recordEvents, type NewEscalationEvent } from './history.js';
import { inactiveStaffAmong } from './inactive-staff.js';
import { resolveJoinedItems } from './threads.js';
import type { ActionBodies } from './schemas.js';
import { timerJob, type EscalationRow } from './timer.js';

/**
 * Manager actions on an escalation. Which action is allowed in which state is the domain's rule
 * (nextState in src/domain/escalation.ts); what each action writes is its handler below.
 */

/** What a handler works with: the locked row, the state it moves to, the actor and the time. */
interface ActionContext {
  tx: Transaction;
  principal: TenantPrincipal;
  action: EscalationAction;
  current: EscalationRow;
  to: EscalationState;
  now: Date;
  /** Whether the organisation has a webhook (a new assignee's notification is then delivered). */
  webhook: boolean;
  /** Free text as screened for identifiers (redacted when the organisation says so). */
  clean(path: string, text: string): string;
  /** The manager a deputy acts for while covering them; null when the assignee acts. */
  onBehalfOf: string | null;
}

interface ActionHandler<A extends EscalationAction> {
  /** The body's free text, screened before anything is written. */
  freeText(body: ActionBodies[A]): ScreenedField[];
  /** Writes the action; answers the changes its audit entry records. */
  apply(context: ActionContext, body: ActionBodies[A]): Promise<Record<string, unknown>>;
}

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

const reason = (body: { reason: string }): ScreenedField[] => [{ path: 'reason', text: body.reason }];

const ACTION_HANDLERS: { [A in EscalationAction]: ActionHandler<A> } = {
  acknowledge: { freeText: () => [], apply: acknowledge },
  position: {
    freeText: (body) => [
      { path: 'rationale', text: body.rationale },
      ...(body.barrierNote === undefined ? [] : [{ path: 'barrierNote', text: body.barrierNote }]),
    ],
    apply: recordStance,
  },
  actions: { freeText: (body) => [{ path: 'description', text: body.description }], apply: planAction },
  resolve: { freeText: (body) => [{ path: 'note', text: body.note }], apply: resolve },
  reassign: { freeText: reason, apply: reassign },
  escalate: { freeText: reason, apply: escalateNow },
  snooze: { freeText: reason, apply: snooze },
  comment: { freeText: (body) => [{ path: 'text', text: body.text }], apply: comment },
};

const handlerOf = <A extends EscalationAction>(action: A): ActionHandler<A> => ACTION_HANDLERS[action];

/**
 * One manager action on an escalation, in one transaction with the row locked. Only the
 * current assignee, or the deputy covering them today, may act; an action the state does not
 * allow is 409. A deputy's action records on whose behalf it was taken.
 */
export async function actOnEscalation<A extends EscalationAction>(
  deps: { db: Database; relay: Relay },
  principal: TenantPrincipal,
  escalationId: string,
  action: A,
  body: ActionBodies[A],
  now = new Date(),
) {
  const handler = handlerOf(action);
  const [organisation] = await deps.db
    .select({ identifierPolicy: organisations.identifierPolicy, webhook: hasWebhook() })
    .from(organisations)
    .where(eq(organisations.id, principal.organisationId));
  const screen = screenFreeText(handler.freeText(body), organisation?.identifierPolicy ?? 'reject');

  await deps.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(escalations)
      .where(and(eq(escalations.id, escalationId), eq(escalations.organisationId, principal.organisationId)))
      .for('update');
    if (!current || !(await canReadEscalation(tx, principal, current, now))) throw notFound('Escalation');
    const acting = await actingFor(tx, principal, current, now);
    if (!acting) {
      throw new AppError(
        'forbidden',
        'Only the manager the escalation is assigned to, or their deputy while covering them, may act on it',
      );
    }
    const to = nextState(current.state, action);
    if (!to) {
      throw conflict(`Cannot ${action} an escalation that is ${current.state.replace('_', ' ')}`, {
        state: current.state,
      });
    }
    const context: ActionContext = {
      tx,
      principal,
      action,
      current,
      to,
      now,
      webhook: organisation?.webhook ?? false,
      clean: (path, text) => screen.redactedText(path, text),
      onBehalfOf: acting.onBehalfOf,
    };
    const details = await handler.apply(context, body);
    const state = current.state !== to ? { state: { from: current.state, to } } : {};
    const behalf = acting.onBehalfOf ? { onBehalfOf: acting.onBehalfOf } : {};
    await recordAudit(
      tx,
      escalationAudit(current, actorOf(principal), action, { ...state, ...details, ...behalf }, now),
    );
  });
  deps.relay.nudge();
}

/**
 * Acknowledging stops the chain: the pending timer is replaced by the first reminder for a
 * response, at the policy's slower cadence (none when the policy sends no reminders).
 */
async function acknowledge(context: ActionContext) {
  const { current, now } = context;
  const withinDeadline = now <= current.dueAt;
  const reminderAt = responseReminderAt(current.chain, now);
  await updateRow(context, { acknowledgedAt: now, nextStepAt: reminderAt, repeatsSent: 0 }, true);
  await insertTogether(context.tx, [
    eventsInsert([eventOf(context, { withinDeadline }, true)]),
    ...(reminderAt ? [outboxInsert([timerJob(current.id, current.step + 1, reminderAt)])] : []),
  ]);
  return { withinDeadline };
}

/** The manager's stance is the managerial side of the item's alignment. */
async function recordStance(context: ActionContext, body: ActionBodies['position']) {
  const { tx, principal, current, now } = context;
  const rationale = context.clean('rationale', body.rationale);
  const barriers = [...new Set(body.barriers ?? [])];
  const barrierNote = body.barrierNote === undefined ? null : context.clean('barrierNote', body.barrierNote);
  // A response ends the reminders that asked for it.
  const endsReminders = current.nextStepAt !== null;
  await updateRow(
    context,
    {
      stance: body.stance,
      stanceRationale: rationale,
      stanceAt: now,
      stanceBarriers: barriers,
      stanceBarrierNote: barrierNote,
      ...(endsReminders ? { nextStepAt: null } : {}),
    },
    endsReminders,
  );
  await recordEvent(context, { stance: body.stance, previousStance: current.stance, barriers }, endsReminders);
  const [item] = await tx.select().from(items).where(eq(items.id, current.itemId));
  await recordPosition(
    tx,
    item!,
    { side: 'managerial', stance: body.stance, rationale, barriers, barrierNote },
    { actor: actorOf(principal), staffId: principal.staffId, tokenId: principal.tokenId },
    now,
  );
  return {
    stance: { from: current.stance, to: body.stance },
    rationale: textRef(rationale),
    barriers,
    barrierNote: textRef(barrierNote),
  };
}

async function planAction(context: ActionContext, body: ActionBodies['actions']) {
  const { tx, principal, current, now } = context;
  await tx.insert(escalationActions).values({
    escalationId: current.id,
    description: context.clean('description', body.description),
    dueDate: body.dueDate,
    createdByStaffId: principal.staffId!,
    createdAt: now,
  });
  // Work planned is a response too: it ends the reminders asking for one.
  const endsReminders = current.nextStepAt !== null;
  await updateRow(context, endsReminders ? { nextStepAt: null } : {}, endsReminders);
  await recordEvent(context, { dueDate: body.dueDate }, endsReminders);
  return { action: textRef(body.description), dueDate: body.dueDate };
}

/**
 * Resolving the escalation resolves every open item joined to it too (the item it was opened for
 * and the repeats that joined it), each with the same time, note and outcome, and each audited.
 */
async function resolve(context: ActionContext, body: ActionBodies['resolve']) {
  const { tx, principal, current, now } = context;
  const note = context.clean('note', body.note);
  await updateRow(context, { resolvedAt: now, outcome: body.outcome, outcomeNote: note, nextStepAt: null }, true);
  const resolved = await resolveJoinedItems(tx, current, {
    resolvedAt: now,
    resolutionNote: note,
    resolvedByTokenId: principal.tokenId,
  });
  await recordEvent(context, { outcome: body.outcome }, true);
  await recordAudits(
    tx,
    resolved.map((itemId) => ({
      organisationId: current.organisationId,
      actor: actorOf(principal),
      entityType: 'item',
      entityId: itemId,
      action: 'resolved',
      changes: {
        status: { from: 'open', to: 'resolved' },
        outcome: body.outcome,
        note: textRef(note),
        escalationId: current.id,
      },
      at: now,
    })),
  );
  return { outcome: body.outcome, note: textRef(note) };
}

async function reassign(context: ActionContext, body: ActionBodies['reassign']) {
  const { tx, principal, current } = context;
  if (body.staffId === current.assigneeStaffId) throw conflict('The escalation is already assigned to that manager');
  await assertManager(tx, principal.organisationId, body.staffId);
  await moveTo(context, current.level, body.staffId, { reason: context.clean('reason', body.reason) });
  return { assigneeStaffId: { from: current.assigneeStaffId, to: body.staffId }, reason: textRef(body.reason) };
}

/** Engages the next level now, without waiting for the deadline; levels of deactivated staff are skipped. */
async function escalateNow(context: ActionContext, body: ActionBodies['escalate']) {
  const { current } = context;
  const inactive = await inactiveStaffAmong(context.tx, current.chain.levels);
  const toLevel = nextActiveLevel(current.chain.levels, current.level, inactive, current.assigneeStaffId);
  const next = toLevel === null ? undefined : current.chain.levels[toLevel];
  if (toLevel === null || !next) {
    throw conflict('The escalation is already at the last active level of its chain');
  }
  await moveTo(context, toLevel, next, { reason: context.clean('reason', body.reason) });
  return {
    level: { from: current.level + 1, to: toLevel + 1 },
    assigneeStaffId: { from: current.assigneeStaffId, to: next },
    reason: textRef(body.reason),
  };
}

/** Pauses reminders until a time; the deadline still stands. */
async function snooze(context: ActionContext, body: ActionBodies['snooze']) {
  const { current, now } = context;
  const until = new Date(body.until);
  if (until <= now) {
    throw new AppError('validation_failed', 'until must be in the future', {
      errors: [{ path: 'body.until', message: 'must be in the future' }],
    });
  }
  await updateRow(context, { snoozedUntil: until }, false);
  await recordEvent(context, { until: until.toISOString(), reason: context.clean('reason', body.reason) }, false);
  return { snoozedUntil: { from: current.snoozedUntil?.toISOString() ?? null, to: until.toISOString() } };
}

async function comment(context: ActionContext, body: ActionBodies['comment']) {
  await recordEvent(context, { text: context.clean('text', body.text) }, false);
  return { comment: textRef(body.text) };
}

/**
 * The row takes `set` and the action's state; an action that replaces the pending timer (by a
 * new one or by none) moves the row to the next step, so the old timer finds itself stale.
 */
async function updateRow({ tx, current, to }: ActionContext, set: Partial<EscalationRow>, replacesTimer: boolean) {
  await tx
    .update(escalations)
    .set({ ...set, state: to, ...(replacesTimer ? { step: sql`${escalations.step} + 1` } : {}) })
    .where(eq(escalations.id, current.id));
}

/** The action's history event, at the next step when it replaces the timer. */
function eventOf(
  { principal, action, current, now, onBehalfOf }: ActionContext,
  details: Record<string, unknown>,
  replacesTimer: boolean,
  level = current.level,
  assignee = current.assigneeStaffId,
): NewEscalationEvent {
  return {
    escalationId: current.id,
    type: EVENT_OF[action],
    step: replacesTimer ? current.step + 1 : null,
    level,
    assigneeStaffId: assignee,
    actorStaffId: principal.staffId,
    actorTokenId: principal.tokenId,
    details: onBehalfOf ? { ...details, onBehalfOf } : details,
    at: now,
  };
}

const recordEvent = (context: ActionContext, details: Record<string, unknown>, replacesTimer: boolean) =>
  recordEvents(context.tx, [eventOf(context, details, replacesTimer)]);

/** Reassign and escalate: open again at the new assignee, with a fresh deadline and timer. */
async function moveTo(context: ActionContext, level: number, staffId: string, details: Record<string, unknown>) {
  const { tx, current, now } = context;
  const step = current.step + 1;
  const dueAt = addSeconds(now, current.chain.ackWithinSeconds);
  const set = {
    level,
    assigneeStaffId: staffId,
    dueAt,
    nextStepAt: dueAt,
    repeatsSent: 0,
    acknowledgedAt: null,
    snoozedUntil: null,
  };
  await updateRow(context, set, true);
  const notice = notificationsInsert(
    [
      {
        organisationId: current.organisationId,
        escalationId: current.id,
        recipientStaffId: staffId,
        type: 'assigned',
        step,
        level,
        dueAt,
        createdAt: now,
      },
    ],
    context.webhook,
  );
  const moved = { ...details, fromLevel: current.level + 1, fromStaffId: current.assigneeStaffId };
  // What the move writes after the update goes in one statement, as a timer's climb does.
  await insertTogether(tx, [
    assigneesInsert([{ escalationId: current.id, staffId }]),
    eventsInsert([eventOf(context, moved, true, level, staffId)]),
    ...notice.inserts,
    outboxInsert([timerJob(current.id, step, dueAt), ...notice.webhooks]),
  ]);
}

/** A reassignment goes to a manager of the organisation (400) who is still active (422). */
async function assertManager(tx: Transaction, organisationId: string, staffId: string) {
  const [manager] = await tx
    .select({ id: staff.id, deactivatedAt: staff.deactivatedAt })
    .from(staff)
    .where(
      and(
        eq(staff.id, staffId),
        eq(staff.organisationId, organisationId),
        inArray(staff.role, ['middle_manager', 'senior_manager']),
      ),
    )
    .for('share');
  if (!manager) {
    throw new AppError('validation_failed', 'staffId must be a middle or senior manager of this organisation', {
      errors: [{ path: 'body.staffId', message: 'must be a middle or senior manager of this organisation' }],
    });
  }
  if (manager.deactivatedAt) {
    throw new AppError('unprocessable', 'staffId names a manager who has been deactivated', {
      errors: [{ path: 'body.staffId', message: 'has been deactivated; name an active manager' }],
    });
  }
}
