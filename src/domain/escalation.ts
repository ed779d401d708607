/**
 * Escalation rules (domain reference, section 5), free of I/O.
 *
 * An escalation walks an ordered chain of managers. Each level has until its acknowledge
 * deadline (set by the item's risk band); when it passes unacknowledged, the next level is
 * engaged; at the last level reminders repeat a bounded number of times.
 */
import type { RiskBand } from './risk.js';

export const ESCALATION_STATES = ['open', 'acknowledged', 'in_progress', 'resolved'] as const;
export type EscalationState = (typeof ESCALATION_STATES)[number];

export const ESCALATION_ACTIONS = [
  'acknowledge',
  'position',
  'actions',
  'resolve',
  'reassign',
  'escalate',
  'snooze',
  'comment',
] as const;
export type EscalationAction = (typeof ESCALATION_ACTIONS)[number];

export const STANCES = ['agree', 'disagree', 'needs_information'] as const;
export type Stance = (typeof STANCES)[number];

/** How a manager resolves an escalation. */
export const MANAGER_OUTCOMES = ['fixed', 'mitigated', 'risk_accepted', 'not_actionable'] as const;
/**
 * How a correction of the item closes it: `downgraded` when an amended band falls below the
 * ward's minimum before anyone acknowledged, `voided` when the item was entered in error.
 */
export const CORRECTION_OUTCOMES = ['downgraded', 'voided'] as const;
/**
 * `merged`: a duplicate open escalation of a thread of repeats, closed into the thread's oldest
 * open one (`merged_into_id`) when escalations were grouped by thread.
 */
export const OUTCOMES = [...MANAGER_OUTCOMES, ...CORRECTION_OUTCOMES, 'merged'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** The outcomes reports count: a voided item's escalation leaves every report with its item. */
export const REPORTED_OUTCOMES = [...MANAGER_OUTCOMES, 'downgraded'] as const;

/**
 * What each action does to the state; a missing entry means "not allowed in this state" (409).
 * A manager must acknowledge before answering, planning or resolving, so the record shows
 * when the issue was first taken on.
 */
const TRANSITIONS: Record<EscalationAction, Partial<Record<EscalationState, EscalationState>>> = {
  acknowledge: { open: 'acknowledged' },
  position: { acknowledged: 'acknowledged', in_progress: 'in_progress' },
  actions: { acknowledged: 'in_progress', in_progress: 'in_progress' },
  resolve: { acknowledged: 'resolved', in_progress: 'resolved' },
  reassign: { open: 'open', acknowledged: 'open', in_progress: 'open' },
  escalate: { open: 'open', acknowledged: 'open', in_progress: 'open' },
  snooze: { open: 'open', acknowledged: 'acknowledged', in_progress: 'in_progress' },
  comment: { open: 'open', acknowledged: 'acknowledged', in_progress: 'in_progress', resolved: 'resolved' },
};

/** The state after `action`, or null when the action is not allowed from `state`. */
export function nextState(state: EscalationState, action: EscalationAction): EscalationState | null {
  return TRANSITIONS[action][state] ?? null;
}

export interface AckDeadlines {
  extreme: number;
  high: number;
  moderate: number;
  low: number;
}

/** Defaults: acknowledge within 1 h extreme, 4 h high, 24 h moderate, 72 h low. */
export const DEFAULT_ACK_WITHIN_SECONDS: Readonly<AckDeadlines> = Object.freeze({
  extreme: 3_600,
  high: 4 * 3_600,
  moderate: 24 * 3_600,
  low: 72 * 3_600,
});
export const DEFAULT_REPEAT_EVERY_SECONDS = 4 * 3_600;
export const DEFAULT_MAX_REPEATS = 3;
export const DEFAULT_MIN_BAND: RiskBand = 'moderate';

/** The chain copied onto an escalation when it starts; later policy edits do not touch it. */
export interface ChainSnapshot {
  levels: string[];
  ackWithinSeconds: number;
  repeatEverySeconds: number;
  maxRepeats: number;
}

export interface TimerState {
  state: EscalationState;
  level: number;
  /** Who holds it now; a climb engages someone else. */
  assigneeStaffId?: string;
  /** The manager's recorded response; while acknowledged without one, they are reminded. */
  stance?: Stance | null;
  repeatsSent: number;
  snoozedUntil: Date | null;
}

/** What a due timer should do: climb to the next level, remind the last level, wait, or stop. */
export type TimerDecision =
  | { kind: 'climb'; toLevel: number; dueAt: Date }
  | { kind: 'remind'; repeatNumber: number; nextAt: Date | null }
  | { kind: 'postpone'; until: Date }
  | { kind: 'none' };

/**
 * The first level above `from` whose manager is still active and is not `holder` (who has the
 * escalation now), or null when there is none: a chain climbs past people who left, and past a
 * level naming the manager who already holds it (a category route, or a reassignment to them).
 */
export function nextActiveLevel(
  levels: readonly string[],
  from: number,
  inactive: ReadonlySet<string>,
  holder?: string,
): number | null {
  for (let level = from + 1; level < levels.length; level++) {
    const manager = levels[level]!;
    if (!inactive.has(manager) && manager !== holder) return level;
  }
  return null;
}

/**
 * `inactive`: staff deactivated since the chain was copied. A climb skips their levels; when no
 * active level is left above, the current level is the last one and is reminded.
 */
export function decideTimer(
  chain: ChainSnapshot,
  current: TimerState,
  now: Date,
  inactive: ReadonlySet<string> = new Set(),
): TimerDecision {
  if (awaitingResponse(current)) return remindHolder(chain, current, now);
  if (current.state !== 'open') return { kind: 'none' };
  const toLevel = nextActiveLevel(chain.levels, current.level, inactive, current.assigneeStaffId);
  if (toLevel !== null) {
    return { kind: 'climb', toLevel, dueAt: addSeconds(now, chain.ackWithinSeconds) };
  }
  return remindHolder(chain, current, now);
}

/**
 * Acknowledging stops the chain, not the reminders: until the manager records a response (a
 * position), they are reminded at the policy's slower cadence, at most `maxRepeats` times.
 */
const awaitingResponse = (current: TimerState) => current.state === 'acknowledged' && !current.stance;

/** When the first reminder for a response falls due after an acknowledgement; null when none will. */
export function responseReminderAt(chain: ChainSnapshot, acknowledgedAt: Date): Date | null {
  return chain.maxRepeats > 0 ? addSeconds(acknowledgedAt, chain.repeatEverySeconds) : null;
}

/** The holder is reminded, a bounded number of times, not before a snooze ends. */
function remindHolder(chain: ChainSnapshot, current: TimerState, now: Date): TimerDecision {
  if (current.repeatsSent >= chain.maxRepeats) return { kind: 'none' };
  // Snoozing pauses reminders (never climbing, which has already reached the last level).
  if (current.snoozedUntil && current.snoozedUntil > now) return { kind: 'postpone', until: current.snoozedUntil };
  const repeatNumber = current.repeatsSent + 1;
  return {
    kind: 'remind',
    repeatNumber,
    nextAt: repeatNumber < chain.maxRepeats ? addSeconds(now, chain.repeatEverySeconds) : null,
  };
}

/**
 * What the pending timer will do when it falls due, as decideTimer will decide it then: engage
 * the next level, remind the last one (not before a snooze ends), or nothing. Levels are 0-based.
 */
export type UpcomingStep = { kind: 'climb' | 'reminder'; level: number; dueAt: Date } | { kind: 'none' };

export function upcomingStep(
  chain: { levels: number; maxRepeats: number },
  current: TimerState & { nextStepAt: Date | null },
): UpcomingStep {
  if (!current.nextStepAt || (current.state !== 'open' && !awaitingResponse(current))) return { kind: 'none' };
  if (current.state === 'open' && current.level < chain.levels - 1) {
    return { kind: 'climb', level: current.level + 1, dueAt: current.nextStepAt };
  }
  if (current.repeatsSent >= chain.maxRepeats) return { kind: 'none' };
  const snoozed = current.snoozedUntil && current.snoozedUntil > current.nextStepAt ? current.snoozedUntil : null;
  return { kind: 'reminder', level: current.level, dueAt: snoozed ?? current.nextStepAt };
}

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
