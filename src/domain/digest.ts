/**
 * What a manager's daily digest says about each escalation. Pure, no I/O: days are the trust's
 * calendar days (src/domain/calendar.ts), given by the caller.
 */

export type DigestSection = 'overdue' | 'due' | 'open';

export interface DigestEscalation {
  state: 'open' | 'acknowledged' | 'in_progress' | 'resolved';
  /** The acknowledge deadline, and the trust's day it falls on. */
  dueAt: Date;
  dueDay: string;
  actionDueDates: readonly string[];
}

/**
 * overdue: still unacknowledged past its deadline, or a planned action past its due date;
 * due: to be acknowledged, or an action due, today; open: everything else not resolved.
 */
export function digestSection(e: DigestEscalation, now: Date, today: string): DigestSection {
  if ((e.state === 'open' && e.dueAt < now) || e.actionDueDates.some((d) => d < today)) return 'overdue';
  if ((e.state === 'open' && e.dueDay === today) || e.actionDueDates.includes(today)) return 'due';
  return 'open';
}

export const DIGEST_SECTIONS: { section: DigestSection; title: string }[] = [
  { section: 'overdue', title: 'Overdue' },
  { section: 'due', title: 'Due today' },
  { section: 'open', title: 'Open' },
];
