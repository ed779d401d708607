import { and, asc, desc, eq, gt, inArray, lt, ne, notExists, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { assertWardReadable, type TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { preparedPer } from '../db/prepared.js';
import { escalationActions, escalationEvents, escalations, items, staff, wards } from '../db/schema.js';
import { DEFAULT_MIN_BAND, upcomingStep, type EscalationState, type UpcomingStep } from '../domain/escalation.js';
import { RISK_BANDS, bandRank, type RiskBand } from '../domain/risk.js';
import { notFound } from '../http/errors.js';
import { liveItem, openIssuesOfWard } from '../items/conditions.js';
import { decodeCursor, paginate } from '../http/pagination.js';
import { managersCoveredBy } from '../cover/queries.js';
import { canReadEscalation } from './access.js';
import { loadPolicy } from './policy.js';

export interface InboxFilter {
  state?: EscalationState | undefined;
  band?: RiskBand | undefined;
  wardId?: string | undefined;
  overdue?: boolean | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** The inbox's rows: escalations with their item and ward, most urgent due time first. */
function inboxRows(db: Database, where: SQL | undefined, limit: number | Placeholder) {
  return db
    .select(inboxColumns())
    .from(escalations)
    .innerJoin(items, eq(items.id, escalations.itemId))
    .innerJoin(wards, eq(wards.id, escalations.wardId))
    .where(where)
    .orderBy(asc(escalations.dueAt), asc(escalations.id))
    .limit(limit);
}

/**
 * An escalation the inbox shows: its item is not voided, or it is still unresolved, which with a
 * voided item means repeats of the thread joined to it are still open (voiding closes it otherwise).
 * Two plain conditions, so the inbox keeps its index plan.
 */
const carried = () => or(liveItem(), ne(escalations.state, 'resolved'));

/** Unresolved escalations of one assignee in the organisation, as `filter` narrows them. */
function inboxWhere(
  organisationId: string | Placeholder,
  assignee: SQL,
  filter: Omit<InboxFilter, 'limit'>,
  now: Date,
) {
  const cursor = decodeCursor(filter.cursor);
  return and(
    eq(escalations.organisationId, organisationId),
    assignee,
    carried(),
    filter.state ? eq(escalations.state, filter.state) : ne(escalations.state, 'resolved'),
    filter.band ? eq(escalations.band, filter.band) : undefined,
    filter.wardId ? eq(escalations.wardId, filter.wardId) : undefined,
    filter.overdue === true ? and(eq(escalations.state, 'open'), lt(escalations.dueAt, now)) : undefined,
    filter.overdue === false ? or(ne(escalations.state, 'open'), sql`${escalations.dueAt} >= ${now}`) : undefined,
    cursor
      ? or(
          gt(escalations.dueAt, new Date(cursor.after)),
          and(eq(escalations.dueAt, new Date(cursor.after)), gt(escalations.id, cursor.id)),
        )
      : undefined,
  );
}

/**
 * The inbox as most managers open it (their own escalations, no filter, the first page),
 * prepared once per connection: built and planned once, as it is read on every visit.
 */
const firstPage = preparedPer((db) =>
  inboxRows(
    db,
    inboxWhere(
      sql.placeholder('organisationId'),
      eq(escalations.assigneeStaffId, sql.placeholder('staffId')),
      {},
      new Date(0),
    ),
    sql.placeholder('limit'),
  ).prepare('inbox_first_page'),
);

const unfiltered = (filter: InboxFilter) =>
  !filter.state && !filter.band && !filter.wardId && filter.overdue === undefined && !filter.cursor;

/**
 * The caller's escalations, most urgent due time first, with those of the managers the caller
 * covers today (marked `cover`). Resolved ones only when asked for.
 */
export async function inbox(db: Database, principal: TenantPrincipal, filter: InboxFilter, now = new Date()) {
  // Most managers cover nobody, so their first page is read alongside the cover lookup rather
  // than after it, and used unless the lookup finds someone covered.
  const ownFirstPage = unfiltered(filter)
    ? firstPage(db).execute({
        organisationId: principal.organisationId,
        staffId: principal.staffId!,
        limit: filter.limit + 1,
      })
    : null;
  ownFirstPage?.catch(() => undefined); // unused when someone is covered; awaited below otherwise
  const covered = await managersCoveredBy(db, principal.organisationId, principal.staffId!, now);
  const coverOf = new Map(covered.map((c) => [c.managerStaffId, { forStaffId: c.managerStaffId, name: c.name }]));
  const assignees = [principal.staffId!, ...coverOf.keys()];
  const rows =
    ownFirstPage && assignees.length === 1
      ? await ownFirstPage
      : await inboxRows(
          db,
          inboxWhere(
            principal.organisationId,
            assignees.length === 1
              ? eq(escalations.assigneeStaffId, principal.staffId!)
              : inArray(escalations.assigneeStaffId, assignees),
            filter,
            now,
          ),
          filter.limit + 1,
        );
  const page = paginate(rows, filter.limit, (r) => ({ after: r.escalation.dueAt.toISOString(), id: r.escalation.id }));
  return {
    data: page.data.map(({ escalation: e, item, ward }) => ({
      id: e.id,
      state: e.state,
      band: e.band,
      level: e.level + 1,
      levels: e.levels,
      dueAt: e.dueAt.toISOString(),
      overdue: e.state === 'open' && e.dueAt < now,
      nextStep: presentNextStep(upcomingStep(e, e)),
      ward,
      item: {
        id: item.id,
        kind: item.kind,
        category: item.category,
        description: item.description,
        riskScore: item.riskScore,
        raisedOn: item.raisedOn,
      },
      clinicalPosition: { needsChange: item.needsChange },
      managerPosition: e.stance,
      cover: coverOf.get(e.assigneeStaffId) ?? null,
      threadId: e.threadId,
      raisedCount: e.raisedCount,
      firstRaisedOn: e.firstRaisedOn,
      createdAt: e.createdAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}

/** Only the columns the inbox shows: a manager's inbox is read often. */
function inboxColumns() {
  return {
    escalation: {
      id: escalations.id,
      state: escalations.state,
      band: escalations.band,
      level: escalations.level,
      levels: sql<number>`jsonb_array_length(${escalations.chain}->'levels')`.mapWith(Number),
      dueAt: escalations.dueAt,
      stance: escalations.stance,
      assigneeStaffId: escalations.assigneeStaffId,
      createdAt: escalations.createdAt,
      nextStepAt: escalations.nextStepAt,
      repeatsSent: escalations.repeatsSent,
      maxRepeats: sql<number>`(${escalations.chain}->>'maxRepeats')::int`.mapWith(Number),
      snoozedUntil: escalations.snoozedUntil,
      ...threadColumns(),
    },
    item: {
      id: items.id,
      kind: items.kind,
      category: items.category,
      description: items.description,
      riskScore: items.riskScore,
      raisedOn: items.raisedOn,
      needsChange: items.needsChange,
    },
    ward: { id: wards.id, code: wards.code, name: wards.name },
  };
}

/** The escalation's thread, and how often and since when it has been raised (voided items left out). */
function threadColumns() {
  const thread = sql<string>`coalesce(${escalations.threadId}, ${escalations.itemId})`;
  const ofThread = sql`(t.id = ${thread} or t.thread_id = ${thread}) and t.voided_at is null`;
  return {
    threadId: thread,
    raisedCount: sql<number>`(select count(*) from ${items} t where ${ofThread})`.mapWith(Number),
    firstRaisedOn: sql<string>`(select min(t.raised_on)::text from ${items} t where ${ofThread})`,
  };
}

/** The pending timer as the API shows it (levels 1-based). */
function presentNextStep(step: UpcomingStep) {
  return step.kind === 'none'
    ? { kind: step.kind, level: null, dueAt: null }
    : { kind: step.kind, level: step.level + 1, dueAt: step.dueAt.toISOString() };
}

/** The manager's current position, with the barriers they named; null before they answer. */
function presentStance(row: typeof escalations.$inferSelect) {
  if (!row.stance || !row.stanceAt) return null;
  return {
    stance: row.stance,
    rationale: row.stanceRationale,
    barriers: row.stanceBarriers,
    barrierNote: row.stanceBarrierNote,
    at: row.stanceAt.toISOString(),
  };
}

/** One escalation with its item, chain, planned actions and full history. */
export async function getEscalation(db: Database, principal: TenantPrincipal, escalationId: string, now = new Date()) {
  const [found] = await db
    .select({ row: escalations, thread: threadColumns() })
    .from(escalations)
    .where(and(eq(escalations.id, escalationId), eq(escalations.organisationId, principal.organisationId)));
  const row = found?.row;
  if (!found || !row || !(await canReadEscalation(db, principal, row))) throw notFound('Escalation');
  const item = await db.select().from(items).where(eq(items.id, row.itemId));
  const history = await db
    .select()
    .from(escalationEvents)
    .where(eq(escalationEvents.escalationId, row.id))
    .orderBy(asc(escalationEvents.id));
  const actions = await db
    .select()
    .from(escalationActions)
    .where(eq(escalationActions.escalationId, row.id))
    .orderBy(asc(escalationActions.createdAt));
  const nameOf = await namesOf(db, row, history);
  const i = item[0]!;
  return {
    id: row.id,
    state: row.state,
    trigger: row.trigger,
    reason: row.reason,
    band: row.band,
    level: row.level + 1,
    chain: row.chain.levels.map((id, index) => ({ level: index + 1, staffId: id, name: nameOf.get(id) ?? null })),
    ackWithinSeconds: row.chain.ackWithinSeconds,
    assignee: { id: row.assigneeStaffId, name: nameOf.get(row.assigneeStaffId) ?? '' },
    dueAt: row.dueAt.toISOString(),
    overdue: row.state === 'open' && row.dueAt < now,
    nextStepAt: row.nextStepAt?.toISOString() ?? null,
    nextStep: presentNextStep(upcomingStep({ levels: row.chain.levels.length, maxRepeats: row.chain.maxRepeats }, row)),
    snoozedUntil: row.snoozedUntil?.toISOString() ?? null,
    acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
    managerPosition: presentStance(row),
    clinicalPosition: { needsChange: i.needsChange },
    outcome: row.outcome,
    outcomeNote: row.outcomeNote,
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
    item: {
      id: i.id,
      wardId: i.wardId,
      kind: i.kind,
      category: i.category,
      description: i.description,
      riskScore: i.riskScore,
      riskBand: i.riskBand,
      raisedOn: i.raisedOn,
      status: i.status,
    },
    ...found.thread,
    mergedInto: row.mergedIntoId,
    earlierEscalations: await earlierOfThread(db, found.thread.threadId, row.createdAt),
    plannedActions: actions.map((a) => ({
      description: a.description,
      dueDate: a.dueDate,
      createdAt: a.createdAt.toISOString(),
    })),
    history: history.map((event) => ({
      at: event.createdAt.toISOString(),
      type: event.type,
      level: event.level + 1,
      assignee: { id: event.assigneeStaffId, name: nameOf.get(event.assigneeStaffId) ?? '' },
      actor: event.actorStaffId ? { id: event.actorStaffId, name: nameOf.get(event.actorStaffId) ?? '' } : null,
      onBehalfOf: presentBehalf(onBehalfOf(event.details), nameOf),
      details: event.details,
    })),
    createdAt: row.createdAt.toISOString(),
  };
}

/** The names of everyone the escalation's chain and history mention. */
async function namesOf(
  db: Database,
  row: { chain: { levels: string[] }; assigneeStaffId: string },
  history: { assigneeStaffId: string; actorStaffId: string | null; details: Record<string, unknown> }[],
) {
  const people = new Set([...row.chain.levels, row.assigneeStaffId]);
  for (const event of history) {
    people.add(event.assigneeStaffId);
    if (event.actorStaffId) people.add(event.actorStaffId);
    const behalf = onBehalfOf(event.details);
    if (behalf) people.add(behalf);
  }
  const chainStaff = await db
    .select({ id: staff.id, name: staff.name })
    .from(staff)
    .where(inArray(staff.id, [...people]));
  return new Map(chainStaff.map((s) => [s.id, s.name]));
}

/** The thread's escalations opened before `before`, oldest first. */
async function earlierOfThread(db: Database, threadId: string, before: Date) {
  const earlier = await db
    .select()
    .from(escalations)
    .where(and(eq(escalations.threadId, threadId), lt(escalations.createdAt, before)))
    .orderBy(asc(escalations.createdAt), asc(escalations.id));
  return earlier.map((e) => ({
    id: e.id,
    state: e.state,
    outcome: e.outcome,
    createdAt: e.createdAt.toISOString(),
    resolvedAt: e.resolvedAt?.toISOString() ?? null,
  }));
}

/** The manager a deputy acted for, as the event's details record it. */
function onBehalfOf(details: Record<string, unknown>): string | null {
  return typeof details.onBehalfOf === 'string' ? details.onBehalfOf : null;
}

const presentBehalf = (id: string | null, nameOf: Map<string, string>) =>
  id ? { id, name: nameOf.get(id) ?? '' } : null;

/** Items that qualify for escalation but have never had one (typically: the ward has no policy). */
export async function unroutedItems(db: Database, principal: TenantPrincipal, wardId: string) {
  assertWardReadable(principal, wardId, 'Ward');
  const [ward] = await db
    .select({ id: wards.id })
    .from(wards)
    .where(and(eq(wards.id, wardId), eq(wards.organisationId, principal.organisationId)));
  if (!ward) throw notFound('Ward');
  const policy = await loadPolicy(db, wardId);
  const minBand = policy?.minBandToEscalate ?? DEFAULT_MIN_BAND;
  const bands = RISK_BANDS.filter((b) => bandRank(b) >= bandRank(minBand));
  const rows = await db
    .select()
    .from(items)
    .where(
      and(
        openIssuesOfWard(wardId),
        inArray(items.riskBand, bands),
        notExists(
          db
            .select({ one: sql`1` })
            .from(escalations)
            .where(eq(escalations.itemId, items.id)),
        ),
      ),
    )
    .orderBy(desc(items.riskScore), asc(items.raisedOn));
  return { hasPolicy: Boolean(policy), minBandToEscalate: minBand, items: rows };
}
