/**
 * Corrections of recorded items, free of I/O: what may be corrected, and what an amended risk
 * band does to the item's escalation.
 */
import { addSeconds, DEFAULT_MIN_BAND, type AckDeadlines, type EscalationState } from './escalation.js';
import { bandAtLeast, bandRank, type RiskBand } from './risk.js';

export const CORRECTION_ACTIONS = ['amended', 'voided', 'redacted'] as const;
export type CorrectionAction = (typeof CORRECTION_ACTIONS)[number];

/** Free-text fields of an item an organisation administrator may redact. */
export const REDACTABLE_FIELDS = ['description', 'actionTaken', 'clinicalRationale', 'resolutionNote'] as const;
export type RedactableField = (typeof REDACTABLE_FIELDS)[number];

/**
 * Free text others wrote about an item that a redaction of the item reaches too: the rationale and
 * barrier note of every manager's position on it, the reason of every senior decision on it, the
 * planned actions and comments on its escalations, the reasons its escalations were started by
 * hand, moved or snoozed, and the reasons of its earlier corrections.
 */
export const RELATED_REDACTABLE_FIELDS = [
  'managerRationale',
  'barrierNote',
  'seniorDecisionReason',
  'plannedActions',
  'comments',
  'escalationReasons',
  'correctionReasons',
] as const;
export type RelatedRedactableField = (typeof RELATED_REDACTABLE_FIELDS)[number];

/** The escalation as re-evaluation needs it. */
export interface EscalationStatus {
  state: EscalationState;
  band: RiskBand;
  dueAt: Date;
  nextStepAt: Date | null;
}

export interface ReevaluationInput {
  /** The item's band before and after the amendment (null: good practice, never escalated). */
  from: RiskBand | null;
  to: RiskBand | null;
  itemOpen: boolean;
  /** The item's open (not resolved) escalation, if any. */
  escalation: EscalationStatus | null;
  /** The ward's escalation policy, or null when the ward has none. */
  policy: { minBand: RiskBand; ackWithinSeconds: AckDeadlines } | null;
  now: Date;
}

/**
 * What an amended band does to the item's escalation:
 * - `shorten`: a higher band on an escalation nobody acknowledged yet brings its deadline
 *   forward to the new band's acknowledge time from now, when that is sooner (never later);
 * - `close`: a band below the ward's minimum closes an escalation nobody acknowledged yet
 *   (outcome `downgraded`); one a manager has taken on stays with the manager;
 * - `rebanded`: the escalation keeps its deadline and records its new band;
 * - `start`: an open item with no open escalation whose band rises to or above the minimum starts
 *   one, as the briefing would have;
 * - `unrouted`: it would start one, but the ward has no policy (it waits, as at the briefing);
 * - `none`: the band did not change, or nothing follows from it.
 */
export type Reevaluation =
  | { kind: 'shorten'; dueAt: Date }
  | { kind: 'close' }
  | { kind: 'rebanded' }
  | { kind: 'start' }
  | { kind: 'unrouted' }
  | { kind: 'none' };

export function reevaluateEscalation(input: ReevaluationInput): Reevaluation {
  const { from, to, escalation, policy, now } = input;
  if (from === to) return { kind: 'none' };
  if (!escalation) {
    if (!to || !input.itemOpen) return { kind: 'none' };
    if (!bandAtLeast(to, policy?.minBand ?? DEFAULT_MIN_BAND)) return { kind: 'none' };
    return policy ? { kind: 'start' } : { kind: 'unrouted' };
  }
  if (escalation.state === 'resolved') return { kind: 'none' };
  const unacknowledged = escalation.state === 'open';
  if (!to || (policy && !bandAtLeast(to, policy.minBand))) {
    return unacknowledged ? { kind: 'close' } : { kind: 'rebanded' };
  }
  const higher = bandRank(to) > bandRank(escalation.band);
  if (higher && unacknowledged && policy && escalation.dueAt > now) {
    const dueAt = addSeconds(now, policy.ackWithinSeconds[to]);
    if (dueAt < escalation.dueAt) return { kind: 'shorten', dueAt };
  }
  return escalation.band === to ? { kind: 'none' } : { kind: 'rebanded' };
}
