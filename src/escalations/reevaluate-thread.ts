import type { Transaction } from '../db/client.js';
import type { ItemRow } from '../db/rows.js';
import { reevaluateEscalation } from '../domain/correction.js';
import { joinRepeat } from '../domain/escalation-thread.js';
import { bandRank, type RiskBand } from '../domain/risk.js';
import { threadOf } from './engine.js';
import { escalationRules, loadPolicy } from './policy.js';
import { rebandEscalation, reevaluateAfterAmendment, type Corrector, type EscalationEffect } from './reevaluate.js';
import { joinThreads, lockJoinedEscalation, lockOpenThreadEscalations, openJoinedItems } from './threads.js';
import type { EscalationRow } from './timer.js';

/** What an amended band did to the item's escalation: as for any item, or `joined` its thread's. */
export type AmendmentEffect = EscalationEffect | 'joined';

/**
 * Re-evaluates the escalation of an amended item (already updated) whose band changed from
 * `from`, one escalation per thread: a repeat joined to its thread's open escalation follows the
 * rule of a repeat at capture (a higher band than the escalation's brings an unacknowledged
 * deadline forward, never later; a lower one changes nothing); a repeat that now qualifies while
 * its thread has an open escalation joins it instead of starting another; anything else is
 * re-evaluated as the item's own escalation (src/escalations/reevaluate.ts). The thread is
 * locked first, as a recording locks it.
 */
export async function reevaluateAmendedItem(
  tx: Transaction,
  item: ItemRow,
  from: RiskBand | null,
  who: Corrector,
): Promise<AmendmentEffect> {
  if (from === item.riskBand) return 'none';
  const thread = threadOf(item);
  const threadOpen = (await lockOpenThreadEscalations(tx, [thread])).get(thread) ?? null;
  const joined = await lockJoinedEscalation(tx, item);
  if (joined && joined.itemId !== item.id) return rebandJoinedRepeat(tx, joined, item, who);
  // The thread's escalation is carried by its other open items too: a lower band for the item it
  // was opened for never weakens it while one of them is open.
  if (joined && lowered(from, item.riskBand) && (await otherOpenJoinedItems(tx, joined, item)) > 0) return 'none';
  if (joined || !threadOpen) return reevaluateAfterAmendment(tx, item, from, who);
  const policy = await loadPolicy(tx, item.wardId);
  const decision = reevaluateEscalation({
    from,
    to: item.riskBand,
    itemOpen: item.status === 'open' && item.kind !== 'good_practice',
    escalation: null,
    policy: policy && escalationRules(policy),
    now: who.now,
  });
  if (decision.kind !== 'start' || !policy) return decision.kind;
  await joinThreads(tx, [{ escalation: threadOpen, items: [{ id: item.id, riskBand: item.riskBand }] }], policy, who);
  return 'joined';
}

const lowered = (from: RiskBand | null, to: RiskBand | null) =>
  from !== null && (to === null || bandRank(to) < bandRank(from));

async function otherOpenJoinedItems(tx: Transaction, escalation: EscalationRow, item: ItemRow) {
  const open = await openJoinedItems(tx, escalation);
  return item.status === 'open' && item.voidedAt === null ? open - 1 : open;
}

/** A joined repeat graded higher than its escalation raises the escalation's band (and may shorten it). */
async function rebandJoinedRepeat(
  tx: Transaction,
  escalation: EscalationRow,
  item: ItemRow,
  who: Corrector,
): Promise<AmendmentEffect> {
  const band = item.riskBand;
  if (!band || bandRank(band) <= bandRank(escalation.band)) return 'none';
  const policy = await loadPolicy(tx, item.wardId);
  const dueAt = policy ? joinRepeat(escalation, [band], escalationRules(policy), who.now).dueAt : null;
  await rebandEscalation(tx, escalation, band, dueAt, who);
  return dueAt ? 'shorten' : 'rebanded';
}
