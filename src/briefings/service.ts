import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gte, inArray, lte, sql } from 'drizzle-orm';
import { assertWardReadable, isWardStaff, type TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor, Transaction } from '../db/client.js';
import { briefings, escalationPolicies, items, organisations, staff, wards } from '../db/schema.js';
import { constraintOf } from '../db/errors.js';
import { preparedPer } from '../db/prepared.js';
import { outsideRequestTransaction, withinTransaction } from '../db/request-transaction.js';
import { conflict, notFound } from '../http/errors.js';
import { afterCursorNewestFirst, decodeCursor, paginate } from '../http/pagination.js';
import { listedWards } from '../auth/staff-scope.js';
import { presentItem, presentItems, presentRecordedItems } from '../items/present.js';
import { escalationSummaries, startedSummary } from '../items/escalation-summary.js';
import type { ServiceDeps } from '../deps.js';
import { actorOf } from '../audit/record.js';
import { insertTogether } from '../db/together.js';
import { tuningOf } from '../deps.js';
import { detectRecurrences, namedRecurrences, type RecurrenceLink } from '../recurrence/detect.js';
import { joinThreads, lockOpenThreadEscalations } from '../escalations/threads.js';
import { screenFreeText } from '../screening/free-text.js';
import {
  freeTextFields,
  planBriefing,
  planInserts,
  repeatCandidates,
  type BriefingPlan,
  type BriefingRow,
  type PlanContext,
  type Redacted,
} from './plan.js';
import type { NewBriefing, NewItems } from './schemas.js';
import { inactiveNamedInPolicy } from '../escalations/inactive-staff.js';
import { activePolicy } from '../escalations/policy.js';
import { liveItem } from '../items/conditions.js';

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

/**
 * The ward's settings a briefing needs, in one query: risk bands, identifier policy, webhook,
 * escalation policy, and the names of the managers the policy sends escalations to first.
 */
export const wardContext = preparedPer((db) =>
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
      // Every level: with a deactivated first manager, a later level is the first one engaged.
      firstLevelNames: sql<Record<string, string> | null>`(
        select jsonb_object_agg(${staff.id}, ${staff.name}) from ${staff}
        where ${staff.id} in (
          select value::uuid from jsonb_array_elements_text(${escalationPolicies.levels})
          union select value::uuid from jsonb_each_text(${escalationPolicies.categoryRoutes})))`,
      inactiveNamed: inactiveNamedInPolicy(),
      closedAt: wards.closedAt,
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
  const [ward] = await wardContext(db).execute({
    wardId: input.wardId,
    organisationId: principal.organisationId,
    date: input.date,
    shift: input.shift,
  });
  if (!ward) throw notFound('Ward');
  if (ward.closedAt) {
    throw conflict('The ward is closed and takes no new briefings', {
      wardId: input.wardId,
      closedAt: new Date(ward.closedAt).toISOString(),
    });
  }
  if (ward.existingBriefingId) throw duplicateBriefing(input, ward.existingBriefingId);

  const screen = screenFreeText(freeTextFields(input), ward.identifierPolicy);
  const context: PlanContext = {
    briefingId: randomUUID(),
    organisationId: principal.organisationId,
    tokenId: principal.tokenId,
    staffId: principal.staffId,
    actor: actorOf(principal),
    bandThresholds: ward.bandThresholds,
    // New escalations leave out staff deactivated since the policy was saved.
    policy: ward.policy ? activePolicy(ward.policy, ward.inactiveNamed) : null,
    webhook: ward.webhook,
    now,
  };
  const links = await recurrenceLinks(deps, input, context.briefingId, screen.redactedText);
  const plan = await writeBriefing(db, input, async (tx) => {
    const openThreads = await lockOpenThreadEscalations(tx, threadsOf(links));
    const planned = planBriefing(input, { ...context, openThreads }, screen.redactedText, links);
    await insertTogether(tx, planInserts(planned, context));
    if (context.policy) await joinThreads(tx, planned.escalations.joins, context.policy, context);
    return planned;
  });
  deps.relay.nudge();

  const escalationOf = await recordedEscalations(db, plan.escalations, ward.firstLevelNames);
  return {
    ...presentBriefing(plan.briefing, await presentRecordedItems(db, plan.items, escalationOf)),
    redactions: screen.redactions,
    unroutedItemIds: plan.unroutedItemIds,
  };
}

/** The escalations a recording started, as its answer shows them (the first managers' names read with the ward). */
export function startedSummaries(
  planned: { id: string; item: { id: string }; assignee: string; dueAt: Date; companionIds: string[] }[],
  names: Record<string, string> | null,
) {
  return new Map(
    planned.flatMap((e) => {
      const summary = startedSummary(e.id, { id: e.assignee, name: names?.[e.assignee] ?? '' }, e.dueAt);
      return [e.item.id, ...e.companionIds].map((itemId) => [itemId, summary] as const);
    }),
  );
}

/** The escalations a recording started, and for the repeats that joined one, their thread's. */
export async function recordedEscalations(
  db: Executor,
  written: Pick<BriefingPlan['escalations'], 'planned' | 'joins'>,
  names: Record<string, string> | null,
) {
  const summaries = startedSummaries(written.planned, names);
  const joined = written.joins.flatMap((join) =>
    join.items.map((item) => ({ id: item.id, threadId: join.escalation.threadId })),
  );
  for (const [itemId, summary] of await escalationSummaries(db, joined)) summaries.set(itemId, summary);
  return summaries;
}

/** Repeats: named by the ward, or else found by similarity to an open item of the ward. */
export async function recurrenceLinks(
  deps: ServiceDeps,
  input: NewItems & { wardId: string; date: string },
  briefingId: string,
  redacted: Redacted,
) {
  const links = await namedRecurrences(
    deps.db,
    input.wardId,
    input.items.flatMap((item, index) => (item.recurrenceOf ? [{ index, id: item.recurrenceOf }] : [])),
  );
  const detected = await detectRecurrences(
    deps.db,
    { wardId: input.wardId, raisedOn: input.date, briefingId },
    repeatCandidates(input, links, redacted),
    tuningOf(deps).repeatSimilarity,
  );
  for (const [index, link] of detected) links.set(index, link);
  return links;
}

/** The threads the recording's repeats belong to. */
export const threadsOf = (links: Map<number, RecurrenceLink>) => [...links.values()].map((link) => link.threadId);

/** Writes the plan in one transaction; a briefing recorded meanwhile answers 409. */
async function writeBriefing<T>(db: Database, input: NewBriefing, write: (tx: Transaction) => Promise<T>) {
  try {
    return await withinTransaction(db, write);
  } catch (error) {
    if (constraintOf(error) !== 'briefings_ward_date_shift_key') throw error;
    // Recorded meanwhile by another request. Inside a request's transaction the failed insert
    // has aborted it, so the look-up goes outside it.
    const existing = await findBriefingFor(outsideRequestTransaction(db), input.wardId, input.date, input.shift).catch(
      () => undefined,
    );
    throw duplicateBriefing(input, existing?.id);
  }
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
  const itemRows = await db
    .select()
    .from(items)
    .where(and(eq(items.briefingId, row.id), liveItem()))
    .orderBy(asc(items.position));
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
  const wardsListed = listedWards(principal, filter.wardId, briefings.wardId);
  if (wardsListed === null) return { data: [], nextCursor: null };
  const rows = await db
    .select()
    .from(briefings)
    .where(
      and(
        eq(briefings.organisationId, principal.organisationId),
        wardsListed,
        filter.from ? gte(briefings.date, filter.from) : undefined,
        filter.to ? lte(briefings.date, filter.to) : undefined,
        afterCursorNewestFirst(briefings.date, briefings.id, decodeCursor(filter.cursor)),
      ),
    )
    .orderBy(desc(briefings.date), desc(briefings.id))
    .limit(filter.limit + 1);
  const page = paginate(rows, filter.limit, (row) => ({ after: row.date, id: row.id }));
  const ids = page.data.map((b) => b.id);
  const itemRows = ids.length
    ? await db
        .select()
        .from(items)
        .where(and(inArray(items.briefingId, ids), liveItem()))
        .orderBy(asc(items.position))
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
