/**
 * What one run of an escalation's deadline timer does, decided from the escalation as it stands
 * (locked by the caller) and the time: free of I/O, so the caller's one write applies it.
 */
import { decideTimer, type ChainSnapshot, type EscalationState, type TimerDecision } from './escalation.js';

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
}

export type StepOutcome = 'climbed' | 'reminded' | 'postponed' | 'finished';

/** A step that applies: the row moves to `step` (its step + 1) and takes `set`. */
export interface StepChange {
  kind: 'change';
  outcome: StepOutcome;
  step: number;
  set: { level?: number; assigneeStaffId?: string; dueAt?: Date; nextStepAt: Date | null; repeatsSent?: number };
  /** When the next step's timer falls due; null when none follows. */
  timerAt: Date | null;
  /** What a climb or a reminder records; nothing for a step that only waits or stops. */
  record: StepRecord | null;
}

export interface StepRecord {
  event: { type: 'climbed' | 'reminded'; level: number; assigneeStaffId: string; details: Record<string, unknown> };
  notice: { recipientStaffId: string; type: 'assigned' | 'reminder'; level: number; dueAt: Date };
  /** The manager a climb engages, kept among the escalation's assignees. */
  newAssignee: string | null;
  audit: { action: 'climbed' | 'reminded'; changes: Record<string, unknown> };
}

/**
 * A stale step (the escalation moved on, or is no longer open) does nothing; a step whose time
 * has not come (the job ran early) waits until `dueAt`; otherwise the timer's decision applies.
 */
export type StepPlan = { kind: 'stale' } | { kind: 'not_due'; dueAt: Date } | StepChange;

export function planStep(row: StepRow, step: number, now: Date): StepPlan {
  if (row.step !== step || row.state !== 'open' || !row.nextStepAt) return { kind: 'stale' };
  if (row.nextStepAt > now) return { kind: 'not_due', dueAt: row.nextStepAt };
  const next = row.step + 1;
  const decision = decideTimer(row.chain, row, now);
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
    set: { level: toLevel, assigneeStaffId: assignee, dueAt, nextStepAt: dueAt, repeatsSent: 0 },
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
        details: { repeat: repeatNumber, of },
      },
      notice: { recipientStaffId: row.assigneeStaffId, type: 'reminder', level: row.level, dueAt: row.dueAt },
      newAssignee: null,
      audit: { action: 'reminded', changes: { repeat: repeatNumber, of, assigneeStaffId: row.assigneeStaffId } },
    },
  };
}
