/**
 * What one run of an escalation's deadline timer does, decided from the escalation as it stands
 * (locked by the caller) and the time: free of I/O, so the caller's one write applies it.
 */
import {
  addSeconds,
  decideTimer,
  nextActiveLevel,
  type ChainSnapshot,
  type EscalationState,
  type Stance,
  type TimerDecision,
} from './escalation.js';

/** The escalation as its timer reads it. Levels are 0-based. */
export interface StepRow {
  id: string;
  state: EscalationState;
  step: number;
  level: number;
  chain: ChainSnapshot;
  assigneeStaffId: string;
  dueAt: Date;
  nextStepAt: Date | null;
  repeatsSent: number;
  snoozedUntil: Date | null;
  /** The manager's recorded response, if any (an acknowledged escalation without one is reminded). */
  stance: Stance | null;
}

export type StepOutcome = 'climbed' | 'reminded' | 'postponed' | 'finished' | 'handed_over';

/** A step that applies: the row moves to `step` (its step + 1) and takes `set`. */
export interface StepChange {
  kind: 'change';
  outcome: StepOutcome;
  step: number;
  set: {
    level?: number;
    assigneeStaffId?: string;
    dueAt?: Date;
    nextStepAt: Date | null;
    repeatsSent?: number;
    /** A hand-over opens the escalation again at its new assignee. */
    state?: 'open';
    acknowledgedAt?: null;
    snoozedUntil?: null;
  };
  /** When the next step's timer falls due; null when none follows. */
  timerAt: Date | null;
  /** What a climb or a reminder records; nothing for a step that only waits or stops. */
  record: StepRecord | null;
}

export interface StepRecord {
  event: {
    type: 'climbed' | 'reminded' | 'reassigned';
    level: number;
    assigneeStaffId: string;
    details: Record<string, unknown>;
  };
  notice: { recipientStaffId: string; type: 'assigned' | 'reminder'; level: number; dueAt: Date };
  /** The manager a climb engages, kept among the escalation's assignees. */
  newAssignee: string | null;
  audit: { action: 'climbed' | 'reminded' | 'reassigned'; changes: Record<string, unknown> };
}

/**
 * A stale step (the escalation moved on, or is no longer open) does nothing; a step whose time
 * has not come (the job ran early) waits until `dueAt`; otherwise the timer's decision applies.
 */
export type StepPlan = { kind: 'stale' } | { kind: 'not_due'; dueAt: Date } | StepChange;

export function planStep(row: StepRow, step: number, now: Date, inactive: ReadonlySet<string> = new Set()): StepPlan {
  const timed = row.state === 'open' || row.state === 'acknowledged';
  if (row.step !== step || !timed || !row.nextStepAt) return { kind: 'stale' };
  if (row.nextStepAt > now) return { kind: 'not_due', dueAt: row.nextStepAt };
  const next = row.step + 1;
  const decision = decideTimer(row.chain, row, now, inactive);
  switch (decision.kind) {
    case 'none':
      return {
        kind: 'change',
        outcome: 'finished',
        step: next,
        set: { nextStepAt: null },
        timerAt: null,
        record: null,
      };
    case 'postpone':
      return {
        kind: 'change',
        outcome: 'postponed',
        step: next,
        set: { nextStepAt: decision.until },
        timerAt: decision.until,
        record: null,
      };
    case 'climb':
      return climb(row, decision, next);
    case 'remind':
      return remind(row, decision, next);
  }
}

/** The deadline passed unacknowledged: the next level is engaged, with a fresh deadline. */
function climb(row: StepRow, decision: Extract<TimerDecision, { kind: 'climb' }>, step: number): StepChange {
  const { toLevel, dueAt } = decision;
  const assignee = row.chain.levels[toLevel]!;
  return {
    kind: 'change',
    outcome: 'climbed',
    step,
    // A snooze was the manager's who missed the deadline, not the next one's.
    set: { level: toLevel, assigneeStaffId: assignee, dueAt, nextStepAt: dueAt, repeatsSent: 0, snoozedUntil: null },
    timerAt: dueAt,
    record: {
      event: {
        type: 'climbed',
        level: toLevel,
        assigneeStaffId: assignee,
        details: { fromLevel: row.level, fromStaffId: row.assigneeStaffId, missedDueAt: row.dueAt.toISOString() },
      },
      notice: { recipientStaffId: assignee, type: 'assigned', level: toLevel, dueAt },
      newAssignee: assignee,
      audit: {
        action: 'climbed',
        changes: {
          level: { from: row.level + 1, to: toLevel + 1 },
          assigneeStaffId: { from: row.assigneeStaffId, to: assignee },
          dueAt: { from: row.dueAt.toISOString(), to: dueAt.toISOString() },
        },
      },
    },
  };
}

/** At the last level: the manager is reminded, and the next reminder planned while any are left. */
function remind(row: StepRow, decision: Extract<TimerDecision, { kind: 'remind' }>, step: number): StepChange {
  const { repeatNumber, nextAt } = decision;
  const of = row.chain.maxRepeats;
  // Acknowledged without a response: the reminder asks for the response, not the acknowledgement.
  const awaiting = row.state === 'acknowledged' ? 'response' : 'acknowledgement';
  return {
    kind: 'change',
    outcome: 'reminded',
    step,
    set: { repeatsSent: repeatNumber, nextStepAt: nextAt },
    timerAt: nextAt,
    record: {
      event: {
        type: 'reminded',
        level: row.level,
        assigneeStaffId: row.assigneeStaffId,
        details: { repeat: repeatNumber, of, awaiting },
      },
      notice: { recipientStaffId: row.assigneeStaffId, type: 'reminder', level: row.level, dueAt: row.dueAt },
      newAssignee: null,
      audit: {
        action: 'reminded',
        changes: { repeat: repeatNumber, of, awaiting, assigneeStaffId: row.assigneeStaffId },
      },
    },
  };
}

/** Who takes an escalation over when its assignee is deactivated, and where that person came from. */
export interface HandoverTarget {
  level: number;
  staffId: string;
  /** chain: the next active level of its own chain; ward_policy: the most senior active manager of the ward's policy. */
  via: 'chain' | 'ward_policy';
}

/**
 * The next active level of the escalation's own chain; past its last level, the most senior
 * active manager of the ward's current policy (the escalation stays at its level, as after a
 * reassignment). Null when there is nobody active to hand it to.
 */
export function handoverTarget(
  row: Pick<StepRow, 'chain' | 'level' | 'assigneeStaffId'>,
  inactive: ReadonlySet<string>,
  policyLevels: readonly string[],
): HandoverTarget | null {
  const level = nextActiveLevel(row.chain.levels, row.level, inactive, row.assigneeStaffId);
  if (level !== null) return { level, staffId: row.chain.levels[level]!, via: 'chain' };
  const senior = [...policyLevels].reverse().find((id) => !inactive.has(id) && id !== row.assigneeStaffId);
  return senior ? { level: row.level, staffId: senior, via: 'ward_policy' } : null;
}

/**
 * Its assignee was deactivated: the escalation opens again at once at `target`, with a fresh
 * deadline, whatever state it was in (the new manager must take it on), as a reassignment does.
 */
export function planHandover(row: StepRow, target: HandoverTarget, now: Date): StepChange {
  const dueAt = addSeconds(now, row.chain.ackWithinSeconds);
  const why = { reason: 'assignee_deactivated', via: target.via };
  return {
    kind: 'change',
    outcome: 'handed_over',
    step: row.step + 1,
    set: {
      level: target.level,
      assigneeStaffId: target.staffId,
      dueAt,
      nextStepAt: dueAt,
      repeatsSent: 0,
      state: 'open',
      acknowledgedAt: null,
      snoozedUntil: null,
    },
    timerAt: dueAt,
    record: {
      event: {
        type: 'reassigned',
        level: target.level,
        assigneeStaffId: target.staffId,
        details: { ...why, fromLevel: row.level + 1, fromStaffId: row.assigneeStaffId, previousState: row.state },
      },
      notice: { recipientStaffId: target.staffId, type: 'assigned', level: target.level, dueAt },
      newAssignee: target.staffId,
      audit: {
        action: 'reassigned',
        changes: {
          ...why,
          level: { from: row.level + 1, to: target.level + 1 },
          assigneeStaffId: { from: row.assigneeStaffId, to: target.staffId },
          ...(row.state !== 'open' ? { state: { from: row.state, to: 'open' } } : {}),
          dueAt: { from: row.dueAt.toISOString(), to: dueAt.toISOString() },
        },
      },
    },
  };
}
