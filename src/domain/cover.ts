/**
 * Cover: a deputy named for a manager over calendar days of the trust, both included. Pure rules,
 * no I/O; the days are the trust's (Europe/London, src/domain/calendar.ts).
 */
import { daysInclusive } from './calendar.js';

/** A cover longer than this is a change of post, for the escalation policy, not cover. */
export const MAX_COVER_DAYS = 366;

export interface DayRange {
  from: string;
  to: string;
}

export interface RangeProblem {
  path: 'body.from' | 'body.to';
  message: string;
  /** 400: the range itself is malformed; 422: well formed but refused as of today. */
  status: 400 | 422;
}

/** What is wrong with a requested cover range as of `today`, or null. */
export function coverRangeProblem(range: DayRange, today: string): RangeProblem | null {
  if (range.to < range.from) return { path: 'body.to', message: 'must be on or after from', status: 400 };
  if (daysInclusive(range.from, range.to) > MAX_COVER_DAYS) {
    return { path: 'body.to', message: `cover may last at most ${MAX_COVER_DAYS} days`, status: 400 };
  }
  if (range.to < today) return { path: 'body.to', message: 'the cover would already have ended', status: 422 };
  return null;
}

/** Whether two ranges of days share at least one day. */
export function rangesOverlap(a: DayRange, b: DayRange): boolean {
  return a.from <= b.to && b.from <= a.to;
}

/** Whether a cover is in force on `day`: not cancelled, and the day within its range. */
export function coverInForce(cover: DayRange & { cancelledAt: Date | null }, day: string): boolean {
  return cover.cancelledAt === null && cover.from <= day && day <= cover.to;
}
