/**
 * Clinical-managerial alignment (domain reference, section 1): whether the front-line team and
 * the responsible manager agree that change is needed. Pure, no I/O.
 */
import type { Stance } from './escalation.js';

export const ALIGNMENT_STATES = [
  'aligned_for_change',
  'aligned_no_change',
  'clinical_only',
  'managerial_only',
  'pending',
] as const;
export type AlignmentState = (typeof ALIGNMENT_STATES)[number];

/**
 * clinical: the team's answer to "is change needed?" (null: not answered).
 * managerial: the manager's stance (null: not answered; needs_information is not an answer yet).
 */
export function alignmentOf(clinical: boolean | null, managerial: Stance | null): AlignmentState {
  if (clinical === null || managerial === null || managerial === 'needs_information') return 'pending';
  const managerWantsChange = managerial === 'agree';
  if (clinical && managerWantsChange) return 'aligned_for_change';
  if (!clinical && !managerWantsChange) return 'aligned_no_change';
  return clinical ? 'clinical_only' : 'managerial_only';
}

export const isAgreement = (state: AlignmentState) => state === 'aligned_for_change' || state === 'aligned_no_change';
