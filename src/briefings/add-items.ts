import { and, eq, sql } from 'drizzle-orm';
import { actorOf } from '../audit/record.js';
import { isWardStaff, type TenantPrincipal } from '../auth/principal.js';
import { briefings, items } from '../db/schema.js';
import { insertTogether } from '../db/together.js';
import { withinTransaction } from '../db/request-transaction.js';
import type { ServiceDeps } from '../deps.js';
import { conflict, notFound } from '../http/errors.js';
import { presentRecordedItems } from '../items/present.js';
import { screenFreeText } from '../screening/free-text.js';
import { freeTextFields, itemInserts, planAddedItems, type PlanContext } from './plan.js';
import { MAX_ITEMS_IN_BRIEFING, type NewItems } from './schemas.js';
import { recordedEscalations, recurrenceLinks, threadsOf, wardContext } from './service.js';
import { joinThreads, lockOpenThreadEscalations } from '../escalations/threads.js';

/**
 * Adds items to a briefing after it was recorded (a problem remembered after the huddle): the
 * same screening, grading, repeat detection and escalation as at the briefing, planned by the
 * same planner and written in one statement with the briefing's row locked, so two additions
 * at once take distinct positions. Only the ward's own staff may add; anyone else is told the
 * briefing does not exist. With an Idempotency-Key it is applied once.
 */
export async function addItems(deps: ServiceDeps, principal: TenantPrincipal, briefingId: string, input: NewItems) {
  const { db } = deps;
  const now = new Date();
  const [briefing] = await db
    .select()
    .from(briefings)
    .where(and(eq(briefings.id, briefingId), eq(briefings.organisationId, principal.organisationId)));
  if (!briefing || !isWardStaff(principal, briefing.wardId)) throw notFound('Briefing');
  if (!briefing.held) throw conflict('The briefing was not held: record its items at a briefing that was');
  const [ward] = await wardContext(db).execute({
    wardId: briefing.wardId,
    organisationId: principal.organisationId,
    date: briefing.date,
    shift: briefing.shift,
  });
  if (!ward) throw notFound('Briefing');
  if (ward.closedAt) {
    throw conflict('The ward is closed and takes no new items', {
      wardId: briefing.wardId,
      closedAt: new Date(ward.closedAt).toISOString(),
    });
  }
  const screen = screenFreeText(freeTextFields(input), ward.identifierPolicy);
  const context: PlanContext = {
    briefingId,
    organisationId: principal.organisationId,
    tokenId: principal.tokenId,
    staffId: principal.staffId,
    actor: actorOf(principal),
    bandThresholds: ward.bandThresholds,
    policy: ward.policy,
    webhook: ward.webhook,
    now,
  };
  const links = await recurrenceLinks(
    deps,
    { ...input, wardId: briefing.wardId, date: briefing.date },
    briefingId,
    screen.redactedText,
  );
  const plan = await withinTransaction(db, async (tx) => {
    await tx.select({ id: briefings.id }).from(briefings).where(eq(briefings.id, briefingId)).for('update');
    const [last] = await tx
      .select({ position: sql<number | null>`max(${items.position})` })
      .from(items)
      .where(eq(items.briefingId, briefingId));
    const first = (last?.position ?? -1) + 1;
    if (first + input.items.length > MAX_ITEMS_IN_BRIEFING) {
      throw conflict(`A briefing holds at most ${MAX_ITEMS_IN_BRIEFING} items; this one holds ${first}`, {
        itemCount: first,
      });
    }
    const openThreads = await lockOpenThreadEscalations(tx, threadsOf(links));
    const planned = planAddedItems(input, briefing, { ...context, openThreads }, screen.redactedText, links, first);
    await insertTogether(tx, itemInserts(planned, context));
    if (context.policy) await joinThreads(tx, planned.escalations.joins, context.policy, context);
    return planned;
  });
  deps.relay.nudge();
  return {
    briefingId,
    items: await presentRecordedItems(
      db,
      plan.items,
      await recordedEscalations(db, plan.escalations, ward.firstLevelNames),
    ),
    redactions: screen.redactions,
    unroutedItemIds: plan.unroutedItemIds,
  };
}
