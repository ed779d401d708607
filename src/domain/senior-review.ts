/**
 * Senior review: which issues come to a senior manager, and what they may decide. Pure, no I/O.
 *
 * An open issue (a thread of repeats) comes to review when it is persistent (isPersistent), or
 * when its latest open raising is high or extreme risk and the team and the manager disagree
 * (alignment clinical_only or managerial_only). A decision takes it off the queue; a risk
 * accepted comes back on its review date.
 */
import type { AlignmentState } from './alignment.js';
import { isPersistent, type PersistenceThresholds, type ThreadStats } from './persistence.js';
import type { RiskBand } from './risk.js';

export const SENIOR_DECISIONS = ['adopt_as_qi_target', 'accept_risk', 'send_back'] as const;
export type SeniorDecision = (typeof SENIOR_DECISIONS)[number];

export const REVIEW_REASONS = ['persistent', 'high_risk_disagreement'] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

const DISAGREEMENT: readonly AlignmentState[] = ['clinical_only', 'managerial_only'];

/** Why an open thread comes to senior review; empty when it does not. */
export function reviewReasons(
  thread: ThreadStats & { band: RiskBand | null; alignment: AlignmentState },
  thresholds?: PersistenceThresholds,
): ReviewReason[] {
  const reasons: ReviewReason[] = [];
  if (isPersistent(thread, thresholds)) reasons.push('persistent');
  if ((thread.band === 'high' || thread.band === 'extreme') && DISAGREEMENT.includes(thread.alignment)) {
    reasons.push('high_risk_disagreement');
  }
  return reasons;
}
