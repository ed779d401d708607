/**
 * What recording a briefing writes, planned without I/O: the briefing, its items, the team's
 * first positions, the audit entries and the escalations the items start. The service reads
 * what the plan needs, then sends its inserts as one statement.
 */
import { randomUUID } from 'node:crypto';
import type { SQLWrapper } from 'drizzle-orm';
import { positionsInsert } from '../alignment/positions.js';
import { auditInsert, textRef, type AuditActor, type AuditEntry } from '../audit/record.js';
import type { ItemRow } from '../db/rows.js';
import { briefings, items } from '../db/schema.js';
import { rowsInsert } from '../db/together.js';
import { alignmentOf } from '../domain/alignment.js';
import { addDays, startOfLocalDay } from '../domain/calendar.js';
import { DEFAULT_MIN_BAND } from '../domain/escalation.js';
import { riskBand, riskScore, type BandThresholds } from '../domain/risk.js';
import { isAutomaticCandidate, startEscalations, threadOf } from '../escalations/engine.js';
import type { PolicyRow } from '../escalations/policy.js';
import type { ThreadJoin } from '../escalations/threads.js';
import type { EscalationRow } from '../escalations/timer.js';
import type { RecurrenceLink } from '../recurrence/detect.js';
import type { ScreenedField } from '../screening/free-text.js';
import type { NewBriefing, NewItem, NewItems } from './schemas.js';

export type BriefingRow = typeof briefings.$inferSelect;

/** Redacts a field's text by its path in the body (the screening's answer). */
export type Redacted = (path: string, original: string) => string;

/** Who records, the ward's settings, and when. */
export interface PlanContext {
  /** Chosen before planning: repeat detection runs with it. */
  briefingId: string;
  organisationId: string;
  tokenId: string;
  staffId: string | null;
  actor: AuditActor;
  bandThresholds: BandThresholds;
  policy: PolicyRow | null;
  webhook: boolean;
  now: Date;
  /** The open escalations of the threads the items repeat, by thread (read locked). */
  openThreads?: Map<string, EscalationRow>;
}

export type BriefingPlan = ReturnType<typeof planBriefing>;

/** Every free-text field of the body, by its path, for identifier screening. */
export function freeTextFields(input: NewItems & Partial<Pick<NewBriefing, 'notHeldReason' | 'facilitator'>>) {
  const fields: ScreenedField[] = [];
  if (input.notHeldReason) fields.push({ path: 'notHeldReason', text: input.notHeldReason });
  if (input.facilitator) fields.push({ path: 'facilitator', text: input.facilitator });
  input.items.forEach((item, i) => {
    fields.push({ path: `items.${i}.description`, text: item.description });
    if (item.actionTaken) fields.push({ path: `items.${i}.actionTaken`, text: item.actionTaken });
    if (item.clinicalRationale) fields.push({ path: `items.${i}.clinicalRationale`, text: item.clinicalRationale });
  });
  return fields;
}

/** The items that can repeat an earlier one, with their redacted descriptions, for detection. */
export function repeatCandidates(input: NewItems, named: Map<number, RecurrenceLink>, redacted: Redacted) {
  return input.items.flatMap((item, index) =>
    named.has(index) || item.kind === 'good_practice'
      ? []
      : [{ index, category: item.category, description: redacted(`items.${index}.description`, item.description) }],
  );
}

export function planBriefing(
  input: NewBriefing,
  context: PlanContext,
  redacted: Redacted,
  links: Map<number, RecurrenceLink>,
) {
  const briefing = briefingRow(input, context, redacted);
  const planned = planItems(input.items, briefing, context, redacted, links, 0);
  return {
    briefing,
    items: planned.items,
    audit: [recordedAudit(briefing, planned.items.length, context), ...planned.audit],
    escalations: planned.escalations,
    unroutedItemIds: planned.unroutedItemIds,
  };
}

export type AddedItemsPlan = ReturnType<typeof planAddedItems>;

/**
 * Items added to a briefing after it was recorded: graded, linked and escalated exactly as at the
 * briefing, placed after its last item, with an audit entry on the briefing saying so.
 */
export function planAddedItems(
  input: NewItems,
  briefing: BriefingRow,
  context: PlanContext,
  redacted: Redacted,
  links: Map<number, RecurrenceLink>,
  firstPosition: number,
) {
  const planned = planItems(input.items, briefing, context, redacted, links, firstPosition);
  const added: AuditEntry = {
    organisationId: context.organisationId,
    actor: context.actor,
    entityType: 'briefing',
    entityId: briefing.id,
    action: 'items_added',
    changes: { items: planned.items.length, itemIds: planned.items.map((item) => item.id) },
    at: context.now,
  };
  return { ...planned, audit: [added, ...planned.audit] };
}

/** The items, the escalations they start (or wait for a policy), and their audit entries. */
function planItems(
  input: NewItem[],
  briefing: BriefingRow,
  context: PlanContext,
  redacted: Redacted,
  links: Map<number, RecurrenceLink>,
  firstPosition: number,
) {
  // Read once a briefing: placing the end of its day on the clock costs two time-zone look-ups.
  const fixedAt = input.some((item) => item.resolvedAtBriefing)
    ? resolvedAtBriefingTime(briefing.date, context.now)
    : null;
  const itemRows = input.map((item, index) =>
    itemRow(item, index, firstPosition + index, briefing, { context, fixedAt }, redacted, links.get(index)),
  );
  // What the ward could not fix goes to the named manager, in this same statement.
  const { policy } = context;
  const minBand = policy?.minBandToEscalate ?? DEFAULT_MIN_BAND;
  const candidates = itemRows.filter((item) => isAutomaticCandidate(item, minBand));
  const { starting, companions, joins } = byThread(candidates, context.openThreads);
  const started = policy
    ? startEscalations(starting, {
        companions,
        policy,
        trigger: 'automatic',
        actorTokenId: context.tokenId,
        actor: context.actor,
        webhook: context.webhook,
        now: context.now,
      })
    : { planned: [], inserts: [], audit: [] };
  return {
    items: itemRows,
    audit: [...raisedAudit(briefing, itemRows, context), ...started.audit],
    escalations: { ...started, joins: policy ? joins : [] },
    unroutedItemIds: policy ? [] : candidates.map((item) => item.id),
  };
}

/**
 * One escalation per thread of repeats: an item whose thread has an open escalation joins it;
 * of the rest, the first item of each thread starts one, and any later item of the same thread
 * in this recording is part of that one.
 */
function byThread(candidates: ItemRow[], openThreads: Map<string, EscalationRow> | undefined) {
  const joins = new Map<string, ThreadJoin>();
  const starting: ItemRow[] = [];
  const starterOf = new Map<string, ItemRow>();
  /** By the id of the item that starts one: the later items of its thread (its `started` event names them). */
  const companions = new Map<string, string[]>();
  for (const item of candidates) {
    const thread = threadOf(item);
    const open = openThreads?.get(thread);
    const starter = starterOf.get(thread);
    if (open) {
      const join = joins.get(open.id) ?? { escalation: open, items: [] };
      join.items.push({ id: item.id, riskBand: item.riskBand });
      joins.set(open.id, join);
    } else if (starter) {
      companions.set(starter.id, [...(companions.get(starter.id) ?? []), item.id]);
    } else {
      starterOf.set(thread, item);
      starting.push(item);
    }
  }
  return { starting, companions, joins: [...joins.values()] };
}

/** The items' inserts (items, first positions, escalations, audit) as one statement's parts. */
export function itemInserts(plan: Omit<BriefingPlan, 'briefing'>, context: PlanContext): SQLWrapper[] {
  const inserts: SQLWrapper[] = [];
  if (plan.items.length > 0) inserts.push(rowsInsert(items, plan.items));
  const positions = positionsInsert(plan.items, { staffId: context.staffId, tokenId: context.tokenId }, context.now);
  if (positions) inserts.push(positions);
  inserts.push(...plan.escalations.inserts, auditInsert(plan.audit));
  return inserts;
}

/** The plan's inserts, in the order they are sent as one statement. */
export function planInserts(plan: BriefingPlan, context: PlanContext): SQLWrapper[] {
  return [rowsInsert(briefings, [plan.briefing]), ...itemInserts(plan, context)];
}

function briefingRow(input: NewBriefing, context: PlanContext, redacted: Redacted): BriefingRow {
  return {
    id: context.briefingId,
    organisationId: context.organisationId,
    wardId: input.wardId,
    date: input.date,
    shift: input.shift,
    held: input.held,
    notHeldReason: input.notHeldReason ? redacted('notHeldReason', input.notHeldReason) : null,
    facilitator: input.facilitator ? redacted('facilitator', input.facilitator) : null,
    attendanceNursing: input.attendance?.nursing ?? null,
    attendanceMedical: input.attendance?.medical ?? null,
    attendanceAllied: input.attendance?.allied ?? null,
    attendanceManager: input.attendance?.manager ?? null,
    attendanceOther: input.attendance?.other ?? null,
    durationMinutes: input.durationMinutes ?? null,
    recordedByTokenId: context.tokenId,
    createdAt: context.now,
  };
}

/**
 * When an item fixed at the briefing was resolved: as it was recorded, but no later than the end
 * of the briefing's day. A briefing typed in days later (a tablet that was offline) must not leave
 * its fixed items open in the reports of the days in between.
 */
function resolvedAtBriefingTime(briefingDate: string, now: Date): Date {
  const endOfDay = startOfLocalDay(addDays(briefingDate, 1));
  return now < endOfDay ? now : endOfDay;
}

function itemRow(
  item: NewItem,
  index: number,
  position: number,
  briefing: BriefingRow,
  { context, fixedAt }: { context: PlanContext; fixedAt: Date | null },
  redacted: Redacted,
  link: RecurrenceLink | undefined,
): ItemRow {
  const { now } = context;
  const graded = item.kind !== 'good_practice' && item.consequence && item.likelihood;
  const score = graded ? riskScore(item.consequence!, item.likelihood!) : null;
  const resolved = item.resolvedAtBriefing === true;
  const text = (field: 'actionTaken' | 'clinicalRationale', value: string | undefined) =>
    value ? redacted(`items.${index}.${field}`, value) : null;
  return {
    id: randomUUID(),
    organisationId: context.organisationId,
    wardId: briefing.wardId,
    briefingId: briefing.id,
    raisedOn: briefing.date,
    position,
    kind: item.kind,
    category: item.category,
    description: redacted(`items.${index}.description`, item.description),
    consequence: item.consequence ?? null,
    likelihood: item.likelihood ?? null,
    riskScore: score,
    riskBand: score === null ? null : riskBand(score, context.bandThresholds),
    harm: item.harm ?? null,
    // Good practice needs no follow-up, so it is closed as soon as it is recorded.
    status: resolved || item.kind === 'good_practice' ? 'resolved' : 'open',
    resolvedAtBriefing: resolved,
    actionTaken: text('actionTaken', item.actionTaken),
    needsChange: item.needsChange ?? null,
    clinicalRationale: text('clinicalRationale', item.clinicalRationale),
    clinicalPositionAt: item.needsChange === undefined ? null : now,
    // The manager has not spoken yet, so agreement is pending.
    managerialStance: null,
    alignment: alignmentOf(item.needsChange ?? null, null),
    agreementReachedAt: null,
    recurrenceOf: link?.recurrenceOf ?? null,
    recurrenceSource: link?.source ?? null,
    threadId: link?.threadId ?? null,
    resolutionNote: null,
    resolvedAt: resolved ? fixedAt : null,
    resolvedByTokenId: resolved ? context.tokenId : null,
    voidedAt: null,
    createdAt: now,
  };
}

/** The briefing's audit entry. */
function recordedAudit(briefing: BriefingRow, itemCount: number, context: PlanContext): AuditEntry {
  return {
    organisationId: context.organisationId,
    actor: context.actor,
    entityType: 'briefing',
    entityId: briefing.id,
    action: 'recorded',
    changes: {
      wardId: briefing.wardId,
      date: briefing.date,
      shift: briefing.shift,
      held: briefing.held,
      items: itemCount,
    },
    at: context.now,
  };
}

/** One audit entry per item raised (free text referenced, never copied). */
function raisedAudit(briefing: BriefingRow, itemRows: ItemRow[], context: PlanContext): AuditEntry[] {
  const { organisationId, actor, now: at } = context;
  return itemRows.map((item): AuditEntry => ({
    organisationId,
    actor,
    entityType: 'item',
    entityId: item.id,
    action: 'raised',
    changes: {
      briefingId: briefing.id,
      kind: item.kind,
      category: item.category,
      description: textRef(item.description),
      riskScore: item.riskScore,
      riskBand: item.riskBand,
      status: item.status,
      needsChange: item.needsChange,
      ...(item.recurrenceOf ? { recurrenceOf: item.recurrenceOf, recurrenceSource: item.recurrenceSource } : {}),
    },
    at,
  }));
}
