import { and, desc, eq, isNull, ne, or, sql } from 'drizzle-orm';
import { actorOf, recordAudit, textRef } from '../audit/record.js';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database, Transaction } from '../db/client.js';
import { escalations, itemPriorities, items, organisations, priorities, seniorDecisions, wards } from '../db/schema.js';
import { rows } from '../db/sql.js';
import { insertTogether } from '../db/together.js';
import type { AlignmentState } from '../domain/alignment.js';
import type { RiskBand } from '../domain/risk.js';
import type { ItemCategory } from '../domain/taxonomy.js';
import { reviewReasons } from '../domain/senior-review.js';
import { conflict, notFound } from '../http/errors.js';
import { notificationsInsert } from '../notifications/service.js';
import { outboxInsert } from '../queue/outbox.js';
import { tuningOf, type Relay, type ServiceDeps } from '../deps.js';
import { localDateOf } from '../domain/calendar.js';
import { byRank, paginateRanked, type RankCursor } from '../http/pagination.js';
import { refuseIdentifiers, screenFreeText, textFields } from '../screening/free-text.js';
import { hasWebhook } from '../webhooks/settings.js';
import type { SeniorDecisionBody } from './senior-review-schemas.js';

interface OpenThreadRow {
  thread_id: string;
  times_raised: number;
  first_raised_on: string;
  days_open: number;
  risk_score: number | null;
  item_id: string;
  ward_id: string;
  description: string;
  category: ItemCategory;
  risk_band: RiskBand | null;
  alignment: AlignmentState;
}

/**
 * The open threads of problems and risks with the latest open raising of each, leaving out those
 * with a standing senior decision (any but a risk accepted whose review date has come). Days are
 * the trust's calendar days (`today`), not the database's.
 */
function openThreads(db: Database, organisationId: string, today: string) {
  const thread = sql`coalesce(${items.threadId}, ${items.id})`;
  return rows<OpenThreadRow>(
    db,
    sql`
      WITH t AS (
        SELECT ${thread} AS thread_id, count(*)::int AS times_raised, min(${items.raisedOn})::text AS first_raised_on,
               greatest(0, ${today}::date - min(${items.raisedOn}))::int AS days_open,
               max(${items.riskScore})::int AS risk_score
        FROM ${items}
        WHERE ${items.organisationId} = ${organisationId}::uuid AND ${items.voidedAt} IS NULL AND ${items.kind} <> 'good_practice'
        GROUP BY 1
        HAVING bool_or(${items.status} = 'open')
      )
      SELECT t.*, l.id AS item_id, l.ward_id, l.description, l.category, l.risk_band, l.alignment
      FROM t
      JOIN LATERAL (
        SELECT i.id, i.ward_id, i.description, i.category, i.risk_band, i.alignment
        FROM ${items} i
        WHERE (i.id = t.thread_id OR i.thread_id = t.thread_id) AND i.voided_at IS NULL AND i.status = 'open'
        ORDER BY i.raised_on DESC, i.created_at DESC
        LIMIT 1
      ) l ON true
      WHERE NOT EXISTS (
        SELECT 1 FROM ${seniorDecisions} d
        WHERE d.organisation_id = ${organisationId}::uuid AND d.thread_id = t.thread_id
          AND (d.decision <> 'accept_risk' OR d.review_date > ${today}::date)
      )`,
  );
}

/** A queued thread's place in the queue: highest risk first, then longest open, then thread id. */
const rankOf = (t: OpenThreadRow): RankCursor => ({
  score: t.risk_score ?? 0,
  date: t.first_raised_on,
  id: t.thread_id,
});

/**
 * The senior review queue of the caller's organisation, a page at a time: most urgent (highest
 * risk) first. Persistence is the service's rule with its configured thresholds (PERSISTENT_MIN_*),
 * counted in the trust's calendar days.
 */
export async function seniorReviewQueue(
  deps: Pick<ServiceDeps, 'db' | 'tuning'>,
  principal: TenantPrincipal,
  page: { limit: number; cursor?: string | undefined },
  now = new Date(),
) {
  const { db } = deps;
  const tuning = tuningOf(deps);
  const thresholds = { minRaised: tuning.persistentMinRaised, minDaysOpen: tuning.persistentMinDays };
  const threads = await openThreads(db, principal.organisationId, localDateOf(now));
  const queued = threads
    .map((t) => ({
      t,
      reasons: reviewReasons(
        {
          riskScore: t.risk_score ?? 0,
          timesRaised: t.times_raised,
          daysOpen: t.days_open,
          band: t.risk_band,
          alignment: t.alignment,
        },
        thresholds,
      ),
    }))
    .filter((q) => q.reasons.length > 0)
    .sort((a, b) => byRank(rankOf(a.t), rankOf(b.t)));
  const paged = paginateRanked(queued, page.limit, (q) => rankOf(q.t), page.cursor);
  const wardRows = await db
    .select({ id: wards.id, code: wards.code, name: wards.name })
    .from(wards)
    .where(eq(wards.organisationId, principal.organisationId));
  const wardOf = new Map(wardRows.map((w) => [w.id, w]));
  return {
    data: paged.data.map(({ t, reasons }) => ({
      itemId: t.item_id,
      threadId: t.thread_id,
      ward: wardOf.get(t.ward_id)!,
      description: t.description,
      category: t.category,
      riskScore: t.risk_score,
      riskBand: t.risk_band,
      alignment: t.alignment,
      raisedCount: t.times_raised,
      firstRaisedOn: t.first_raised_on,
      daysOpen: t.days_open,
      reasons,
    })),
    nextCursor: paged.nextCursor,
  };
}

/**
 * A senior manager's decision on an open item of their organisation: recorded, on the item's
 * timeline and in the audit chain. Adopting links the item to a priority (an existing one, or one
 * created here, owned by the senior manager); sending back tells the middle manager of the
 * thread's open escalation (its current assignee), in their inbox and through the
 * organisation's webhook (`escalation.sent_back`).
 */
export async function decideSeniorReview(
  deps: { db: Database; relay: Relay },
  principal: TenantPrincipal,
  itemId: string,
  body: SeniorDecisionBody,
  now = new Date(),
) {
  const decided = await recordSeniorDecision(deps.db, principal, itemId, body, now);
  if (decided.sentBackTo) deps.relay.nudge();
  return decided;
}

async function recordSeniorDecision(
  db: Database,
  principal: TenantPrincipal,
  itemId: string,
  body: SeniorDecisionBody,
  now: Date,
) {
  const [organisation] = await db
    .select({ identifierPolicy: organisations.identifierPolicy, webhook: hasWebhook() })
    .from(organisations)
    .where(eq(organisations.id, principal.organisationId));
  const reason = 'reason' in body ? body.reason : undefined;
  const screen = screenFreeText(textFields({ reason }), organisation?.identifierPolicy ?? 'reject');
  const cleanReason = reason === undefined ? null : screen.redactedText('reason', reason);
  if (body.decision === 'adopt_as_qi_target' && body.title) refuseIdentifiers([{ path: 'title', text: body.title }]);
  return db.transaction(async (tx) => {
    const [item] = await tx
      .select()
      .from(items)
      .where(and(eq(items.id, itemId), eq(items.organisationId, principal.organisationId), isNull(items.voidedAt)))
      .for('update');
    if (!item) throw notFound('Item');
    if (item.status !== 'open' || item.kind === 'good_practice') {
      throw conflict('Only an open problem or risk can be decided at senior review');
    }
    const threadId = item.threadId ?? item.id;
    const priorityId =
      body.decision === 'adopt_as_qi_target' ? await adoptPriority(tx, principal, body, item.id, now) : null;
    const notified =
      body.decision === 'send_back' ? await sendBack(tx, threadId, organisation?.webhook ?? false, now) : null;
    const [decision] = await tx
      .insert(seniorDecisions)
      .values({
        organisationId: principal.organisationId,
        itemId: item.id,
        threadId,
        decision: body.decision,
        priorityId,
        reason: cleanReason,
        reviewDate: body.decision === 'accept_risk' ? body.reviewDate : null,
        decidedByStaffId: principal.staffId!,
        createdAt: now,
      })
      .returning();
    await recordAudit(tx, {
      organisationId: principal.organisationId,
      actor: actorOf(principal),
      entityType: 'item',
      entityId: item.id,
      action: 'senior_decision',
      changes: {
        decision: body.decision,
        threadId,
        priorityId,
        reason: textRef(cleanReason),
        reviewDate: decision!.reviewDate,
        sentBackTo: notified,
      },
      at: now,
    });
    return presentDecision(decision!, notified);
  });
}

function presentDecision(row: typeof seniorDecisions.$inferSelect, sentBackTo: string | null) {
  return {
    id: row.id,
    itemId: row.itemId,
    threadId: row.threadId,
    decision: row.decision,
    priorityId: row.priorityId,
    reason: row.reason,
    reviewDate: row.reviewDate,
    sentBackTo,
    decidedBy: row.decidedByStaffId,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Links the item to the named priority of the organisation, or to a new organisation-wide one. */
async function adoptPriority(
  tx: Transaction,
  principal: TenantPrincipal,
  body: Extract<SeniorDecisionBody, { decision: 'adopt_as_qi_target' }>,
  itemId: string,
  now: Date,
) {
  let priorityId = body.priorityId;
  if (priorityId) {
    const [found] = await tx
      .select({ id: priorities.id, active: priorities.active })
      .from(priorities)
      .where(and(eq(priorities.id, priorityId), eq(priorities.organisationId, principal.organisationId)));
    if (!found) throw notFound('Priority');
    if (!found.active) throw conflict('The priority is no longer active');
  } else {
    const [created] = await tx
      .insert(priorities)
      .values({
        organisationId: principal.organisationId,
        title: body.title!,
        level: 'organisation',
        ownerStaffId: principal.staffId!,
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: priorities.id });
    priorityId = created!.id;
  }
  await tx
    .insert(itemPriorities)
    .values({ itemId, priorityId, linkedByTokenId: principal.tokenId, createdAt: now })
    .onConflictDoNothing();
  return priorityId;
}

/**
 * Tells the manager who holds the thread's open escalation now (its current assignee, however far
 * it has climbed) that the issue is back with them, through the webhook too when the organisation
 * has one; answers their staff id. Without an open escalation there is no manager to send it to: 409.
 */
async function sendBack(tx: Transaction, threadId: string, webhook: boolean, now: Date) {
  const [open] = await tx
    .select()
    .from(escalations)
    .where(
      and(
        or(eq(escalations.threadId, threadId), and(isNull(escalations.threadId), eq(escalations.itemId, threadId))),
        ne(escalations.state, 'resolved'),
      ),
    )
    .orderBy(desc(escalations.createdAt))
    .limit(1);
  if (!open) throw conflict('The issue has no open escalation, so no manager to send it back to');
  const manager = open.assigneeStaffId;
  const notice = notificationsInsert(
    [
      {
        organisationId: open.organisationId,
        escalationId: open.id,
        recipientStaffId: manager,
        type: 'sent_back',
        step: open.step,
        level: open.level,
        dueAt: open.dueAt,
        createdAt: now,
      },
    ],
    webhook,
  );
  await insertTogether(tx, [...notice.inserts, ...(webhook ? [outboxInsert(notice.webhooks)] : [])]);
  return manager;
}
