/**
 * Ranking of persistent issues (a thread: an item and its repeats). Pure, no I/O.
 *
 *   rank = riskScore x (1 + ln(timesRaised)) x (1 + daysOpen / 30)
 *
 * Risk sets the scale (a 5x5 score, 1-25); each repeat adds less than the one before (the
 * logarithm), since repeated raising is evidence the issue is real, not a multiplier of harm;
 * age grows linearly, doubling the weight after a month open. A thread is persistent when it
 * has been raised at least `minRaised` times or open longer than `minDaysOpen` days.
 */

export interface ThreadStats {
  riskScore: number;
  timesRaised: number;
  daysOpen: number;
}

export interface PersistenceThresholds {
  minRaised: number;
  minDaysOpen: number;
}

export const DEFAULT_PERSISTENCE: PersistenceThresholds = { minRaised: 3, minDaysOpen: 14 };

export function isPersistent(thread: ThreadStats, thresholds: PersistenceThresholds = DEFAULT_PERSISTENCE): boolean {
  return thread.timesRaised >= thresholds.minRaised || thread.daysOpen > thresholds.minDaysOpen;
}

export function persistenceRank(thread: ThreadStats): number {
  const raised = Math.max(1, thread.timesRaised);
  return thread.riskScore * (1 + Math.log(raised)) * (1 + Math.max(0, thread.daysOpen) / 30);
}

/** A ranked thread: its statistics, its rank and its id (the last tie-break, so the order is total). */
export interface RankedThread extends ThreadStats {
  rank: number;
  threadId: string;
}

/**
 * The one order of persistent issues, wherever they are listed: highest rank first, then more
 * often raised, then longer open, then by thread id, so equal ranks never swap between lists.
 */
export function byPersistence(a: RankedThread, b: RankedThread): number {
  return (
    b.rank - a.rank ||
    b.timesRaised - a.timesRaised ||
    b.daysOpen - a.daysOpen ||
    (a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0)
  );
}

/** Thread ages are whole calendar days (b - a), as the reports count them. */
export { daysBetween } from './calendar.js';
