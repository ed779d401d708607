import { and, asc, desc, eq, gte, inArray, lt, lte, or, sql, type SQLWrapper } from 'drizzle-orm';
import { assertWardReadable, isWardStaff, wardScope, type TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor } from '../db/client.js';
import { briefings, escalationPolicies, items, organisations, positionChanges, wards } from '../db/schema.js';
import { riskBand, riskScore } from '../domain/risk.js';
import { DEFAULT_MIN_BAND } from '../domain/escalation.js';
import { conflict, notFound } from '../http/errors.js';
import { decodeCursor, paginate } from '../http/pagination.js';
import { presentItem, presentItems } from '../items/present.js';
import { isAutomaticCandidate, startEscalations } from '../escalations/engine.js';
import type { ServiceDeps } from '../deps.js';
import { actorOf, auditInsert, textRef, type AuditEntry } from '../audit/record.js';
import { insertTogether } from '../db/together.js';
import { tuningOf } from '../deps.js';
import { detectRecurrences, namedRecurrences } from '../recurrence/detect.js';
import { screenFreeText, type ScreenedField } from '../items/screening.js';
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
 * Records a briefing and its items in one transaction. Only the ward's own device and the
 * clinicians on the ward may record; anyone else is told the ward does not exist.
 */
export async function recordBriefing(
  deps: ServiceDeps,
  principal: TenantPrincipal,
  input: NewBriefing,
  now = new Date(),
) {
  const { db } = deps;
  if (!isWardStaff(principal, input.wardId)) throw notFound('Ward');
  const [context] = await db
    .select({
      bandThresholds: organisations.bandThresholds,
      identifierPolicy: organisations.identifierPolicy,
      webhook: sql<boolean>`${organisations.webhookUrl} is not null`,
      policy: escalationPolicies,
    })
    .from(wards)
    .innerJoin(organisations, eq(organisations.id, wards.organisationId))
    .leftJoin(escalationPolicies, eq(escalationPolicies.wardId, wards.id))
    .where(and(eq(wards.id, input.wardId), eq(wards.organisationId, principal.organisationId)));
  if (!context) throw notFound('Ward');

  const screen = screenFreeText(freeTextFields(input), context.identifierPolicy);

  const recorded = await db.transaction(async (tx) => {
    const [briefing] = await tx
      .insert(briefings)
      .values({
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
      })
      .onConflictDoNothing({ target: [briefings.wardId, briefings.date, briefings.shift] })
      .returning();
    if (!briefing) {
      const existing = await findBriefingFor(tx, input.wardId, input.date, input.shift);
      throw conflict(`The ward already recorded its ${input.shift} briefing for ${input.date}`, {
        existingBriefingId: existing?.id,
      });
    }

    // Repeats: named by the ward, or else found by similarity to an open item of the ward.
    const links = await namedRecurrences(
      tx,
      input.wardId,
      input.items.flatMap((item, index) => (item.recurrenceOf ? [{ index, id: item.recurrenceOf }] : [])),
    );
    const detected = await detectRecurrences(
      tx,
      { wardId: input.wardId, raisedOn: input.date, briefingId: briefing.id },
      input.items.flatMap((item, index) =>
        links.has(index) || item.kind === 'good_practice'
          ? []
          : [{ index, category: item.category, description: screen.redactedText(`items.${index}.description`, item.description) }],
      ),
      tuningOf(deps).repeatSimilarity,
    );
    for (const [index, link] of detected) links.set(index, link);

    const itemRows =
      input.items.length === 0
        ? []
        : await tx
            .insert(items)
            .values(
              input.items.map((item, position) => {
                const graded = item.kind !== 'good_practice' && item.consequence && item.likelihood;
                const score = graded ? riskScore(item.consequence!, item.likelihood!) : null;
                const resolved = item.resolvedAtBriefing === true;
                const link = links.get(position);
                return {
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
                  status: resolved || item.kind === 'good_practice' ? ('resolved' as const) : ('open' as const),
                  resolvedAtBriefing: resolved,
                  resolvedAt: resolved ? now : null,
                  resolvedByTokenId: resolved ? principal.tokenId : null,
                  actionTaken: item.actionTaken
                    ? screen.redactedText(`items.${position}.actionTaken`, item.actionTaken)
                    : null,
                  needsChange: item.needsChange ?? null,
                  clinicalRationale: item.clinicalRationale
                    ? screen.redactedText(`items.${position}.clinicalRationale`, item.clinicalRationale)
                    : null,
                  clinicalPositionAt: item.needsChange === undefined ? null : now,
                  recurrenceOf: link?.recurrenceOf ?? null,
                  recurrenceSource: link?.source ?? null,
                  threadId: link?.threadId ?? null,
                };
              }),
            )
            .returning();
    itemRows.sort((a, b) => a.position - b.position);

    const actor = actorOf(principal);
    const audit: AuditEntry[] = [];
    // Everything else the briefing writes goes in one statement, sent last.
    const inserts: SQLWrapper[] = [];
    audit.push({
      organisationId: principal.organisationId,
      actor,
      entityType: 'briefing',
      entityId: briefing.id,
      action: 'recorded',
      changes: { wardId: input.wardId, date: input.date, shift: input.shift, held: input.held, items: itemRows.length },
      at: now,
    });
    for (const item of itemRows) {
      audit.push({
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
      });
    }
    if (itemRows.some((item) => item.needsChange !== null)) {
      inserts.push(
        tx.insert(positionChanges).values(
        itemRows
          .filter((item) => item.needsChange !== null)
          .map((item) => ({
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

    // What the ward could not fix goes to the named manager, in this same transaction.
    const { policy } = context;
    const minBand = policy?.minBandToEscalate ?? DEFAULT_MIN_BAND;
    const candidates = itemRows.filter((item) => isAutomaticCandidate(item, minBand));
    const unrouted = policy ? [] : candidates.map((item) => item.id);
    if (policy) {
      const started = startEscalations(tx, candidates, {
        policy,
        trigger: 'automatic',
        actorTokenId: principal.tokenId,
        actor,
        webhook: context.webhook,
        now,
      });
      inserts.push(...started.inserts);
      audit.push(...started.audit);
    }
    await insertTogether(tx, [...inserts, auditInsert(tx, audit)]);
    return { briefing, itemRows, unrouted };
  });
  deps.relay.nudge();
  return {
    ...presentBriefing(recorded.briefing, await presentItems(db, recorded.itemRows, { justRecorded: true })),
    redactions: screen.redactions,
    unroutedItemIds: recorded.unrouted,
  };
}

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
