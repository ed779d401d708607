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
import { DEFAULT_MIN_BAND } from '../domain/escalation.js';
import { riskBand, riskScore, type BandThresholds } from '../domain/risk.js';
import { isAutomaticCandidate, startEscalations } from '../escalations/engine.js';
import type { PolicyRow } from '../escalations/policy.js';
import type { RecurrenceLink } from '../recurrence/detect.js';
import type { ScreenedField } from '../screening/free-text.js';
import type { NewBriefing } from './schemas.js';

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
}

export type BriefingPlan = ReturnType<typeof planBriefing>;

/** Every free-text field of the body, by its path, for identifier screening. */
export function freeTextFields(input: NewBriefing): ScreenedField[] {
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
export function repeatCandidates(input: NewBriefing, named: Map<number, RecurrenceLink>, redacted: Redacted) {
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
  const itemRows = input.items.map((item, position) =>
    itemRow(item, position, briefing, context, redacted, links.get(position)),
  );
  // What the ward could not fix goes to the named manager, in this same statement.
  const { policy } = context;
  const minBand = policy?.minBandToEscalate ?? DEFAULT_MIN_BAND;
  const candidates = itemRows.filter((item) => isAutomaticCandidate(item, minBand));
  const started = policy
    ? startEscalations(candidates, {
        policy,
        trigger: 'automatic',
        actorTokenId: context.tokenId,
        actor: context.actor,
        webhook: context.webhook,
        now: context.now,
      })
    : { planned: [], inserts: [], audit: [] };
  return {
    briefing,
    items: itemRows,
    audit: [...recordedAudit(briefing, itemRows, context), ...started.audit],
    escalations: started,
    unroutedItemIds: policy ? [] : candidates.map((item) => item.id),
  };
}

/** The plan's inserts, in the order they are sent as one statement. */
export function planInserts(plan: BriefingPlan, context: PlanContext): SQLWrapper[] {
  const inserts: SQLWrapper[] = [rowsInsert(briefings, [plan.briefing])];
  if (plan.items.length > 0) inserts.push(rowsInsert(items, plan.items));
  const positions = positionsInsert(plan.items, { staffId: context.staffId, tokenId: context.tokenId }, context.now);
  if (positions) inserts.push(positions);
  inserts.push(...plan.escalations.inserts, auditInsert(plan.audit));
  return inserts;
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

function itemRow(
  item: NewBriefing['items'][number],
  position: number,
  briefing: BriefingRow,
  context: PlanContext,
  redacted: Redacted,
  link: RecurrenceLink | undefined,
): ItemRow {
  const { now } = context;
  const graded = item.kind !== 'good_practice' && item.consequence && item.likelihood;
  const score = graded ? riskScore(item.consequence!, item.likelihood!) : null;
  const resolved = item.resolvedAtBriefing === true;
  const text = (field: 'actionTaken' | 'clinicalRationale', value: string | undefined) =>
    value ? redacted(`items.${position}.${field}`, value) : null;
  return {
    id: randomUUID(),
    organisationId: context.organisationId,
    wardId: briefing.wardId,
    briefingId: briefing.id,
    raisedOn: briefing.date,
    position,
    kind: item.kind,
    category: item.category,
    description: redacted(`items.${position}.description`, item.description),
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
    resolvedAt: resolved ? now : null,
    resolvedByTokenId: resolved ? context.tokenId : null,
    createdAt: now,
  };
}

/** The briefing's audit entry, then one per item raised. */
function recordedAudit(briefing: BriefingRow, itemRows: ItemRow[], context: PlanContext): AuditEntry[] {
  const { organisationId, actor, now: at } = context;
  return [
    {
      organisationId,
      actor,
      entityType: 'briefing',
      entityId: briefing.id,
      action: 'recorded',
      changes: {
        wardId: briefing.wardId,
        date: briefing.date,
        shift: briefing.shift,
        held: briefing.held,
        items: itemRows.length,
      },
      at,
    },
    ...itemRows.map((item): AuditEntry => ({
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
    })),
  ];
}
