/**
 * A repeat of an issue whose thread already has an open escalation joins it instead of opening
 * another. Free of I/O: what the repeat does to that escalation.
 */
import { reevaluateEscalation, type EscalationStatus } from './correction.js';
import type { AckDeadlines } from './escalation.js';
import { bandRank, type RiskBand } from './risk.js';

/**
 * The events whose `itemIds` name items joined to an escalation besides the one it was opened
 * for: `started` (later repeats of the thread in the same recording) and `raised_again`.
 */
export const JOINING_EVENTS = ['started', 'raised_again'] as const;

export interface RepeatJoin {
  /** The escalation's band afterwards: the higher of its own and the repeats'. */
  band: RiskBand;
  /** The new acknowledge deadline when a higher band brings it forward; null when it stays. */
  dueAt: Date | null;
}

/**
 * A repeat at a higher band than the escalation's brings an unacknowledged escalation's deadline
 * forward to that band's acknowledge time from now, when that is sooner, exactly as an amended
 * band does (domain/correction.ts); a repeat never moves a deadline later.
 */
export function joinRepeat(
  escalation: EscalationStatus,
  repeatBands: RiskBand[],
  policy: { minBand: RiskBand; ackWithinSeconds: AckDeadlines },
  now: Date,
): RepeatJoin {
  const highest = repeatBands.reduce((a, b) => (bandRank(b) > bandRank(a) ? b : a), escalation.band);
  if (highest === escalation.band) return { band: escalation.band, dueAt: null };
  const decision = reevaluateEscalation({
    from: escalation.band,
    to: highest,
    itemOpen: true,
    escalation,
    policy,
    now,
  });
  return { band: highest, dueAt: decision.kind === 'shorten' ? decision.dueAt : null };
}

/** What the assignee is told of a repeat. */
export const raisedAgainMessage = (raisedCount: number) => `Raised again (${raisedCount} times)`;
