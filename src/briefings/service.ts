import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gte, inArray, lt, lte, or, sql, type SQLWrapper } from 'drizzle-orm';
import { assertWardReadable, isWardStaff, wardScope, type TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor } from '../db/client.js';
import { briefings, escalationPolicies, items, organisations, positionChanges, staff, wards } from '../db/schema.js';
import { constraintOf } from '../db/errors.js';
import { preparedPer } from '../db/prepared.js';
import { outsideRequestTransaction } from '../db/request-transaction.js';
import { riskBand, riskScore } from '../domain/risk.js';
import { DEFAULT_MIN_BAND } from '../domain/escalation.js';
import { conflict, notFound } from '../http/errors.js';
import { decodeCursor, paginate } from '../http/pagination.js';
import { presentItem, presentItems, presentRecordedItems } from '../items/present.js';
import type { ItemRow } from '../db/rows.js';
import { startedSummary } from '../items/escalation-summary.js';
import { isAutomaticCandidate, startEscalations } from '../escalations/engine.js';
import type { ServiceDeps } from '../deps.js';
import { actorOf, auditInsert, textRef, type AuditEntry } from '../audit/record.js';
import { insertTogether, rowsInsert } from '../db/together.js';
import { tuningOf } from '../deps.js';
import { detectRecurrences, namedRecurrences } from '../recurrence/detect.js';
import { screenFreeText, type ScreenedField } from '../screening/free-text.js';
import type { NewBriefing } from './schemas.js';

type BriefingRow = typeof briefings.$inferSelect;

type PresentedItem = ReturnType<typeof presentItem>;

export function presentBriefing(row: BriefingRow, presentedItems: PresentedItem[]) {
  return {
    id: row.id,
    wardId: row.wardId,
    date: row.date,
    shift: row.shift,
    held: row.held,
    notHeldReason: row.notHeldReason,
    facilitator: row.facilitator,
    attendance: {
      nursing: row.attendanceNursing,
      medical: row.attendanceMedical,
      allied: row.attendanceAllied,
      manager: row.attendanceManager,
      other: row.attendanceOther,
    },
    durationMinutes: row.durationMinutes,
    createdAt: row.createdAt.toISOString(),
    items: presentedItems,
  };
}

function freeTextFields(input: NewBriefing): ScreenedField[] {
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

/**
 * The ward's settings a briefing needs, in one query: risk bands, identifier policy, webhook,
 * escalation policy, and the names of the managers the policy sends escalations to first.
 */
const wardContext = preparedPer((db) =>
  db
    .select({
      bandThresholds: organisations.bandThresholds,
      identifierPolicy: organisations.identifierPolicy,
      webhook: sql<boolean>`${organisations.webhookUrl} is not null`,
      policy: escalationPolicies,
      // A second briefing for the same date and shift is refused before anything is written.
      existingBriefingId: sql<string | null>`(
        select ${briefings.id} from ${briefings}
        where ${briefings.wardId} = ${wards.id} and ${briefings.date} = ${sql.placeholder('date')}::date
          and ${briefings.shift} = ${sql.placeholder('shift')})`,
      firstLevelNames: sql<Record<string, string> | null>`(
        select jsonb_object_agg(${staff.id}, ${staff.name}) from ${staff}
        where ${staff.id} in (
          select (${escalationPolicies.levels}->>0)::uuid
          union select value::uuid from jsonb_each_text(${escalationPolicies.categoryRoutes})))`,
    })
    .from(wards)
    .innerJoin(organisations, eq(organisations.id, wards.organisationId))
    .leftJoin(escalationPolicies, eq(escalationPolicies.wardId, wards.id))
    .where(and(eq(wards.id, sql.placeholder('wardId')), eq(wards.organisationId, sql.placeholder('organisationId'))))
    .prepare('ward_context'),
);

/**
 * Records a briefing and its items, and starts the escalations they need, in one statement:
 * all of it is written or none. Only the ward's own device and the clinicians on the ward may
 * record; anyone else is told the ward does not exist.
 */
export async function recordBriefing(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  input: NewBriefing,
  now = new Date(),
) {
  const { db } = deps;
  if (!isWardStaff(principal, input.wardId)) throw notFound('Ward');
  const [context] = await wardContext(db).execute({
    wardId: input.wardId,
    organisationId: principal.organisationId,
    date: input.date,
    shift: input.shift,
  });
  if (!context) throw notFound('Ward');
  if (context.existingBriefingId) throw duplicateBriefing(input, context.existingBriefingId);

  const screen = screenFreeText(freeTextFields(input), context.identifierPolicy);
  const briefing: BriefingRow = {
    id: randomUUID(),
    organisationId: principal.organisationId,
    wardId: input.wardId,
    date: input.date,
    shift: input.shift,
    held: input.held,
    notHeldReason: input.notHeldReason ? screen.redactedText('notHeldReason', input.notHeldReason) : null,
    facilitator: input.facilitator ? screen.redactedText('facilitator', input.facilitator) : null,
    attendanceNursing: input.attendance?.nursing ?? null,
    attendanceMedical: input.attendance?.medical ?? null,
    attendanceAllied: input.attendance?.allied ?? null,
    attendanceManager: input.attendance?.manager ?? null,
    attendanceOther: input.attendance?.other ?? null,
    durationMinutes: input.durationMinutes ?? null,
    recordedByTokenId: principal.tokenId,
    createdAt: now,
  };

  // Repeats: named by the ward, or else found by similarity to an open item of the ward.
  const links = await namedRecurrences(
    db,
    input.wardId,
    input.items.flatMap((item, index) => (item.recurrenceOf ? [{ index, id: item.recurrenceOf }] : [])),
  );
  const detected = await detectRecurrences(
    db,
    { wardId: input.wardId, raisedOn: input.date, briefingId: briefing.id },
    input.items.flatMap((item, index) =>
      links.has(index) || item.kind === 'good_practice'
        ? []
        : [{ index, category: item.category, description: screen.redactedText(`items.${index}.description`, item.description) }],
    ),
    tuningOf(deps).repeatSimilarity,
  );
  for (const [index, link] of detected) links.set(index, link);

  const itemRows = input.items.map((item, position): ItemRow => {
    const graded = item.kind !== 'good_practice' && item.consequence && item.likelihood;
    const score = graded ? riskScore(item.consequence!, item.likelihood!) : null;
    const resolved = item.resolvedAtBriefing === true;
    const link = links.get(position);
    return {
      id: randomUUID(),
      organisationId: principal.organisationId,
      wardId: input.wardId,
      briefingId: briefing.id,
      raisedOn: input.date,
      position,
      kind: item.kind,
      category: item.category,
      description: screen.redactedText(`items.${position}.description`, item.description),
      consequence: item.consequence ?? null,
      likelihood: item.likelihood ?? null,
      riskScore: score,
      riskBand: score === null ? null : riskBand(score, context.bandThresholds),
      harm: item.harm ?? null,
      // Good practice needs no follow-up, so it is closed as soon as it is recorded.
      status: resolved || item.kind === 'good_practice' ? 'resolved' : 'open',
      resolvedAtBriefing: resolved,
      actionTaken: item.actionTaken ? screen.redactedText(`items.${position}.actionTaken`, item.actionTaken) : null,
      needsChange: item.needsChange ?? null,
      clinicalRationale: item.clinicalRationale
        ? screen.redactedText(`items.${position}.clinicalRationale`, item.clinicalRationale)
        : null,
      clinicalPositionAt: item.needsChange === undefined ? null : now,
      // The manager has not spoken yet, so agreement is pending.
      managerialStance: null,
      alignment: 'pending',
      agreementReachedAt: null,
      recurrenceOf: link?.recurrenceOf ?? null,
      recurrenceSource: link?.source ?? null,
      threadId: link?.threadId ?? null,
      resolutionNote: null,
      resolvedAt: resolved ? now : null,
      resolvedByTokenId: resolved ? principal.tokenId : null,
      createdAt: now,
    };
  });

  const actor = actorOf(principal);
  const audit: AuditEntry[] = [
    {
      organisationId: principal.organisationId,
      actor,
      entityType: 'briefing',
      entityId: briefing.id,
      action: 'recorded',
      changes: { wardId: input.wardId, date: input.date, shift: input.shift, held: input.held, items: itemRows.length },
      at: now,
    },
    ...itemRows.map(
      (item): AuditEntry => ({
        organisationId: principal.organisationId,
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
        at: now,
      }),
    ),
  ];
  const inserts: SQLWrapper[] = [rowsInsert(briefings, [briefing])];
  if (itemRows.length > 0) inserts.push(rowsInsert(items, itemRows));
  const positioned = itemRows.filter((item) => item.needsChange !== null);
  if (positioned.length > 0) {
    inserts.push(
      rowsInsert(
        positionChanges,
        positioned.map((item) => ({
          organisationId: item.organisationId,
          itemId: item.id,
          side: 'clinical' as const,
          needsChange: item.needsChange,
          rationale: item.clinicalRationale,
          alignmentAfter: item.alignment,
          actorStaffId: principal.staffId,
          actorTokenId: principal.tokenId,
          createdAt: now,
        })),
      ),
    );
  }

  // What the ward could not fix goes to the named manager, in this same statement.
  const { policy } = context;
  const minBand = policy?.minBandToEscalate ?? DEFAULT_MIN_BAND;
  const candidates = itemRows.filter((item) => isAutomaticCandidate(item, minBand));
  const started = policy
    ? startEscalations(candidates, { policy, trigger: 'automatic', actorTokenId: principal.tokenId, actor, webhook: context.webhook, now })
    : { planned: [], inserts: [], audit: [] };
  inserts.push(...started.inserts, auditInsert([...audit, ...started.audit]));

  try {
    await insertTogether(db, inserts);
  } catch (error) {
    if (constraintOf(error) !== 'briefings_ward_date_shift_key') throw error;
    // Recorded meanwhile by another request. Inside a request's transaction the failed insert
    // has aborted it, so the look-up goes outside it.
    const existing = await findBriefingFor(outsideRequestTransaction(db), input.wardId, input.date, input.shift).catch(
      () => undefined,
    );
    throw duplicateBriefing(input, existing?.id);
  }
  deps.relay.nudge();

  const names = context.firstLevelNames ?? {};
  const escalationOf = new Map(
    started.planned.map((e) => [e.item.id, startedSummary(e.id, { id: e.assignee, name: names[e.assignee] ?? '' }, e.dueAt)]),
  );
  return {
    ...presentBriefing(briefing, await presentRecordedItems(db, itemRows, escalationOf)),
    redactions: screen.redactions,
    unroutedItemIds: policy ? [] : candidates.map((item) => item.id),
  };
}

const duplicateBriefing = (input: NewBriefing, existingBriefingId: string | undefined) =>
  conflict(`The ward already recorded its ${input.shift} briefing for ${input.date}`, { existingBriefingId });

async function findBriefingFor(db: Executor, wardId: string, date: string, shift: 'day' | 'night') {
  const [row] = await db
    .select({ id: briefings.id })
    .from(briefings)
    .where(and(eq(briefings.wardId, wardId), eq(briefings.date, date), eq(briefings.shift, shift)));
  return row;
}

export async function getBriefing(db: Database, principal: TenantPrincipal, briefingId: string) {
  const [row] = await db
    .select()
    .from(briefings)
    .where(and(eq(briefings.id, briefingId), eq(briefings.organisationId, principal.organisationId)));
  if (!row) throw notFound('Briefing');
  assertWardReadable(principal, row.wardId, 'Briefing');
  const itemRows = await db.select().from(items).where(eq(items.briefingId, row.id)).orderBy(asc(items.position));
  return presentBriefing(row, await presentItems(db, itemRows));
}

export interface BriefingFilter {
  wardId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export async function listBriefings(db: Database, principal: TenantPrincipal, filter: BriefingFilter) {
  const scope = wardScope(principal);
  if (filter.wardId) assertWardReadable(principal, filter.wardId, 'Ward');
  else if (scope !== 'all' && scope.length === 0) return { data: [], nextCursor: null };
  const cursor = decodeCursor(filter.cursor);
  const rows = await db
    .select()
    .from(briefings)
    .where(
      and(
        eq(briefings.organisationId, principal.organisationId),
        filter.wardId
          ? eq(briefings.wardId, filter.wardId)
          : scope === 'all'
            ? undefined
            : inArray(briefings.wardId, scope),
        filter.from ? gte(briefings.date, filter.from) : undefined,
        filter.to ? lte(briefings.date, filter.to) : undefined,
        cursor
          ? or(lt(briefings.date, cursor.after), and(eq(briefings.date, cursor.after), lt(briefings.id, cursor.id)))
          : undefined,
      ),
    )
    .orderBy(desc(briefings.date), desc(briefings.id))
    .limit(filter.limit + 1);
  const page = paginate(rows, filter.limit, (row) => ({ after: row.date, id: row.id }));
  const ids = page.data.map((b) => b.id);
  const itemRows = ids.length
    ? await db.select().from(items).where(inArray(items.briefingId, ids)).orderBy(asc(items.position))
    : [];
  const presented = await presentItems(db, itemRows);
  return {
    data: page.data.map((b) =>
      presentBriefing(
        b,
        presented.filter((i) => i.briefingId === b.id),
      ),
    ),
    nextCursor: page.nextCursor,
  };
}
