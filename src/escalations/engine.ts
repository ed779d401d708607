import { screenFreeText } from '../screening/free-text.js';
import { randomUUID } from 'node:crypto';
import { and, eq, type SQLWrapper } from 'drizzle-orm';
import { actorOf, auditInsert, textRef, type AuditActor, type AuditEntry } from '../audit/record.js';
import { isWardStaff, type TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { escalations, items, organisations } from '../db/schema.js';
import { insertTogether, rowsInsert } from '../db/together.js';
import type { Relay } from '../deps.js';
import { addSeconds, type ChainSnapshot } from '../domain/escalation.js';
import { bandAtLeast, type RiskBand } from '../domain/risk.js';
import type { ItemCategory, ItemKind } from '../domain/taxonomy.js';
import { conflict, notFound } from '../http/errors.js';
import { notificationsInsert } from '../notifications/service.js';
import { outboxInsert } from '../queue/outbox.js';
import { hasWebhook } from '../webhooks/settings.js';
import { assigneesInsert, escalationAudit, eventsInsert } from './history.js';
import { loadPolicy, snapshotChain, type PolicyRow } from './policy.js';
import { timerJob } from './timer.js';
import { liveItem } from '../items/conditions.js';

/**
 * Starting escalations: automatically for a briefing's items (src/briefings), or by hand. The
 * deadline timer that runs them afterwards is ./timer.ts.
 */

/** Items resolved by the ward resolve their escalation through this (src/items). */
export { recordEvents } from './history.js';

export interface EscalatableItem {
  id: string;
  organisationId: string;
  wardId: string;
  kind: ItemKind;
  category: ItemCategory;
  riskBand: RiskBand | null;
  status: 'open' | 'resolved';
  /** The first item of the thread of repeats it belongs to; null when it is the first. */
  threadId?: string | null;
}

/** The thread an item's escalation belongs to: the first item of its thread of repeats. */
export const threadOf = (item: Pick<EscalatableItem, 'id' | 'threadId'>) => item.threadId ?? item.id;

/** Problems and risks the ward left open, at or above the policy's minimum band. */
export function isAutomaticCandidate(item: EscalatableItem, minBand: RiskBand): boolean {
  return (
    item.kind !== 'good_practice' &&
    item.status === 'open' &&
    item.riskBand !== null &&
    bandAtLeast(item.riskBand, minBand)
  );
}

export interface EscalationStart {
  policy: PolicyRow;
  trigger: 'automatic' | 'manual';
  reason?: string | null;
  actorStaffId?: string | null;
  actorTokenId?: string | null;
  actor: AuditActor;
  /** Whether the organisation has a webhook: each first notification is then delivered to it. */
  webhook: boolean;
  now?: Date;
  /** By item id: later items of its thread in the same recording, part of its escalation. */
  companions?: Map<string, string[]>;
}

/** An escalation as startEscalations writes it: open, at level 1, with its first deadline. */
export interface PlannedEscalation {
  id: string;
  item: EscalatableItem;
  band: RiskBand;
  chain: ChainSnapshot;
  dueAt: Date;
  /** The level-1 manager. */
  assignee: string;
  /** Later items of the item's thread recorded with it, part of this escalation. */
  companionIds: string[];
}

/**
 * Starts escalations for items of one ward: each escalation, its assignee, its first event, its
 * first assignee's notification (and webhook delivery) and its acknowledge-deadline timer in the
 * outbox. Nothing is written here: it returns the inserts, for the caller to send together with
 * its own in its transaction (insertTogether), and the audit events that go with them.
 */
export function startEscalations(startItems: EscalatableItem[], start: EscalationStart) {
  if (startItems.length === 0)
    return { planned: [] as PlannedEscalation[], inserts: [] as SQLWrapper[], audit: [] as AuditEntry[] };
  const now = start.now ?? new Date();
  const planned = startItems.map((item): PlannedEscalation => {
    const band = item.riskBand ?? 'low';
    const chain: ChainSnapshot = snapshotChain(start.policy, item.category, band);
    const dueAt = addSeconds(now, chain.ackWithinSeconds);
    const companionIds = start.companions?.get(item.id) ?? [];
    return { item, band, chain, dueAt, assignee: chain.levels[0]!, id: randomUUID(), companionIds };
  });
  const firstNotices = notificationsInsert(
    planned.map(({ id, item, assignee, dueAt }) => ({
      organisationId: item.organisationId,
      escalationId: id,
      recipientStaffId: assignee,
      type: 'assigned' as const,
      step: 1,
      level: 0,
      dueAt,
      createdAt: now,
    })),
    start.webhook,
  );
  const inserts: SQLWrapper[] = [
    rowsInsert(
      escalations,
      planned.map(({ id, item, band, chain, dueAt, assignee }) => ({
        id,
        organisationId: item.organisationId,
        wardId: item.wardId,
        itemId: item.id,
        threadId: threadOf(item),
        trigger: start.trigger,
        reason: start.reason ?? null,
        band,
        chain,
        state: 'open' as const,
        level: 0,
        assigneeStaffId: assignee,
        dueAt,
        nextStepAt: dueAt,
        step: 1,
        createdAt: now,
      })),
    ),
    assigneesInsert(planned.map(({ id, assignee }) => ({ escalationId: id, staffId: assignee }))),
    eventsInsert(
      planned.map(({ id, band, dueAt, assignee, companionIds }) => ({
        escalationId: id,
        type: 'started' as const,
        step: 1,
        level: 0,
        assigneeStaffId: assignee,
        actorStaffId: start.actorStaffId,
        actorTokenId: start.actorTokenId,
        details: {
          trigger: start.trigger,
          band,
          dueAt: dueAt.toISOString(),
          ...(companionIds.length > 0 ? { itemIds: companionIds } : {}),
        },
        at: now,
      })),
    ),
    ...firstNotices.inserts,
    outboxInsert([...planned.map(({ id, dueAt }) => timerJob(id, 1, dueAt)), ...firstNotices.webhooks]),
  ];
  const audit = planned.map((escalation) => startedAudit(escalation, start, now));
  return { planned, inserts, audit };
}

/** The audit entry of a started escalation (levels 1-based, free text referenced). */
function startedAudit(
  { id, item, band, chain, dueAt, assignee }: PlannedEscalation,
  start: EscalationStart,
  now: Date,
) {
  const changes = {
    itemId: item.id,
    trigger: start.trigger,
    reason: textRef(start.reason),
    band,
    level: 1,
    assigneeStaffId: assignee,
    chain: chain.levels,
    dueAt: dueAt.toISOString(),
  };
  return escalationAudit({ id, organisationId: item.organisationId }, start.actor, 'started', changes, now);
}

/** Ward staff escalate an open problem or risk by hand. */
export async function escalateItemManually(
  deps: { db: Database; relay: Relay },
  principal: TenantPrincipal,
  itemId: string,
  reason: string,
) {
  const escalationId = await deps.db.transaction(async (tx) => {
    const [item] = await tx
      .select()
      .from(items)
      .where(and(eq(items.id, itemId), eq(items.organisationId, principal.organisationId), liveItem()))
      .for('update');
    if (!item || !isWardStaff(principal, item.wardId)) throw notFound('Item');
    if (item.kind === 'good_practice') throw conflict('Good practice is shared, never escalated');
    if (item.status !== 'open') throw conflict('Only an open item can be escalated');
    const policy = await loadPolicy(tx, item.wardId);
    if (!policy) {
      throw conflict('The ward has no escalation policy yet; an organisation administrator must set one', {
        wardId: item.wardId,
      });
    }
    const [organisation] = await tx
      .select({ webhook: hasWebhook(), identifierPolicy: organisations.identifierPolicy })
      .from(organisations)
      .where(eq(organisations.id, item.organisationId));
    const screen = screenFreeText([{ path: 'reason', text: reason }], organisation?.identifierPolicy ?? 'reject');
    const started = startEscalations([item], {
      policy,
      trigger: 'manual',
      reason: screen.redactedText('reason', reason),
      actorStaffId: principal.staffId,
      actorTokenId: principal.tokenId,
      actor: actorOf(principal),
      webhook: organisation?.webhook ?? false,
    });
    try {
      await insertTogether(tx, [...started.inserts, auditInsert(started.audit)]);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('The item, or the issue it repeats, already has an open escalation');
      throw error;
    }
    return started.planned[0]!.id;
  });
  deps.relay.nudge();
  return escalationId;
}
