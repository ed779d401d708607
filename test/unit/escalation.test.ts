import { describe, expect, it } from 'vitest';
import {
  decideTimer,
  ESCALATION_ACTIONS,
  ESCALATION_STATES,
  nextState,
  upcomingStep,
  type ChainSnapshot,
  type TimerState,
} from '../../src/domain/escalation.js';

describe('escalation state transitions', () => {
  // Written out in full so a change to the rules has to change this table too.
  const expected: Record<string, Record<string, string | null>> = {
    acknowledge: { open: 'acknowledged', acknowledged: null, in_progress: null, resolved: null },
    position: { open: null, acknowledged: 'acknowledged', in_progress: 'in_progress', resolved: null },
    actions: { open: null, acknowledged: 'in_progress', in_progress: 'in_progress', resolved: null },
    resolve: { open: null, acknowledged: 'resolved', in_progress: 'resolved', resolved: null },
    reassign: { open: 'open', acknowledged: 'open', in_progress: 'open', resolved: null },
    escalate: { open: 'open', acknowledged: 'open', in_progress: 'open', resolved: null },
    snooze: { open: 'open', acknowledged: 'acknowledged', in_progress: 'in_progress', resolved: null },
    comment: { open: 'open', acknowledged: 'acknowledged', in_progress: 'in_progress', resolved: 'resolved' },
  };
  const cases = ESCALATION_ACTIONS.flatMap((action) =>
    ESCALATION_STATES.map((state) => ({ action, state, outcome: expected[action]![state] ?? 'refused' })),
  );
  it.each(cases)('$action from $state -> $outcome', ({ action, state }) => {
    expect(nextState(state, action)).toBe(expected[action]![state]);
  });
});

describe('what a due timer does', () => {
  const chain: ChainSnapshot = { levels: ['a', 'b', 'c'], ackWithinSeconds: 60, repeatEverySeconds: 30, maxRepeats: 2 };
  const now = new Date('2026-11-30T10:00:00Z');
  const open = { state: 'open' as const, level: 0, repeatsSent: 0, snoozedUntil: null };

  it('climbs to the next level with a fresh deadline', () => {
    expect(decideTimer(chain, open, now)).toEqual({
      kind: 'climb',
      toLevel: 1,
      dueAt: new Date('2026-11-30T10:01:00Z'),
    });
  });
  it('reminds at the last level, then stops after maxRepeats', () => {
    expect(decideTimer(chain, { ...open, level: 2 }, now)).toEqual({
      kind: 'remind',
      repeatNumber: 1,
      nextAt: new Date('2026-11-30T10:00:30Z'),
    });
    expect(decideTimer(chain, { ...open, level: 2, repeatsSent: 1 }, now)).toEqual({
      kind: 'remind',
      repeatNumber: 2,
      nextAt: null,
    });
    expect(decideTimer(chain, { ...open, level: 2, repeatsSent: 2 }, now)).toEqual({ kind: 'none' });
  });
  it('never climbs once acknowledged: reminds the holder for a response until one is recorded, a bounded number of times', () => {
    const acknowledged = { ...open, state: 'acknowledged' as const, stance: null };
    expect(decideTimer(chain, acknowledged, now)).toEqual({
      kind: 'remind',
      repeatNumber: 1,
      nextAt: new Date('2026-11-30T10:00:30Z'),
    });
    expect(decideTimer(chain, { ...acknowledged, repeatsSent: 1 }, now)).toEqual({
      kind: 'remind',
      repeatNumber: 2,
      nextAt: null,
    });
    expect(decideTimer(chain, { ...acknowledged, repeatsSent: 2 }, now)).toEqual({ kind: 'none' });
    expect(decideTimer(chain, { ...acknowledged, stance: 'disagree' }, now)).toEqual({ kind: 'none' });
    const snoozedUntil = new Date('2026-11-30T12:00:00Z');
    expect(decideTimer(chain, { ...acknowledged, snoozedUntil }, now)).toEqual({
      kind: 'postpone',
      until: snoozedUntil,
    });
  });
  it('does nothing once work is in progress or the escalation is resolved', () => {
    for (const state of ['in_progress', 'resolved'] as const) {
      expect(decideTimer(chain, { ...open, state }, now)).toEqual({ kind: 'none' });
    }
  });
  it('postpones reminders while snoozed, but never the climb', () => {
    const snoozedUntil = new Date('2026-11-30T12:00:00Z');
    expect(decideTimer(chain, { ...open, level: 2, snoozedUntil }, now)).toEqual({
      kind: 'postpone',
      until: snoozedUntil,
    });
    expect(decideTimer(chain, { ...open, level: 0, snoozedUntil }, now).kind).toBe('climb');
    expect(decideTimer(chain, { ...open, level: 2, snoozedUntil: new Date('2026-11-30T09:00:00Z') }, now).kind).toBe(
      'remind',
    );
  });
  it('counts deadlines and reminders in elapsed time, across both clock changes in London', () => {
    const hour = { ...chain, ackWithinSeconds: 3_600, repeatEverySeconds: 3_600 };
    // 29 March 2026: 01:00 GMT becomes 02:00 BST. 00:30 GMT plus one hour is 02:30 on the wall clock.
    const spring = new Date('2026-03-29T00:30:00Z');
    expect(decideTimer(hour, open, spring)).toEqual({
      kind: 'climb',
      toLevel: 1,
      dueAt: new Date('2026-03-29T01:30:00Z'),
    });
    // 25 October 2026: 02:00 BST becomes 01:00 GMT. 01:30 BST plus one hour is 01:30 GMT: the wall clock repeats.
    const autumn = new Date('2026-10-25T00:30:00Z');
    expect(decideTimer(hour, open, autumn)).toEqual({
      kind: 'climb',
      toLevel: 1,
      dueAt: new Date('2026-10-25T01:30:00Z'),
    });
    expect(decideTimer(hour, { ...open, level: 2 }, autumn)).toMatchObject({
      kind: 'remind',
      nextAt: new Date('2026-10-25T01:30:00Z'),
    });
  });
  it('with maxRepeats 0, the last level gets no reminders', () => {
    expect(decideTimer({ ...chain, maxRepeats: 0 }, { ...open, level: 2 }, now)).toEqual({ kind: 'none' });
  });
});

describe('what the pending timer will do, as an escalation shows it', () => {
  const chain: ChainSnapshot = { levels: ['a', 'b', 'c'], ackWithinSeconds: 60, repeatEverySeconds: 30, maxRepeats: 2 };
  const counts = { levels: 3, maxRepeats: 2 };
  const nextStepAt = new Date('2026-11-30T10:00:00Z');
  const open = { state: 'open' as const, level: 0, repeatsSent: 0, snoozedUntil: null, nextStepAt };

  it('climbs to the next level at the acknowledge deadline', () => {
    expect(upcomingStep(counts, open)).toEqual({ kind: 'climb', level: 1, dueAt: nextStepAt });
    // Snoozing never holds up a climb.
    expect(upcomingStep(counts, { ...open, snoozedUntil: new Date('2026-11-30T12:00:00Z') })).toEqual({
      kind: 'climb',
      level: 1,
      dueAt: nextStepAt,
    });
  });
  it('reminds the last level, not before a snooze ends, and then nothing once maxRepeats are sent', () => {
    expect(upcomingStep(counts, { ...open, level: 2, repeatsSent: 1 })).toEqual({
      kind: 'reminder',
      level: 2,
      dueAt: nextStepAt,
    });
    const snoozedUntil = new Date('2026-11-30T12:00:00Z');
    expect(upcomingStep(counts, { ...open, level: 2, snoozedUntil })).toEqual({
      kind: 'reminder',
      level: 2,
      dueAt: snoozedUntil,
    });
    expect(upcomingStep(counts, { ...open, level: 2, repeatsSent: 2 })).toEqual({ kind: 'none' });
    expect(upcomingStep({ levels: 3, maxRepeats: 0 }, { ...open, level: 2 })).toEqual({ kind: 'none' });
  });
  it('a reminder for a response while acknowledged without one; nothing once answered, in progress or resolved', () => {
    expect(upcomingStep(counts, { ...open, nextStepAt: null })).toEqual({ kind: 'none' });
    expect(upcomingStep(counts, { ...open, state: 'acknowledged', stance: null })).toEqual({
      kind: 'reminder',
      level: 0,
      dueAt: nextStepAt,
    });
    expect(upcomingStep(counts, { ...open, state: 'acknowledged', stance: 'agree' })).toEqual({ kind: 'none' });
    for (const state of ['in_progress', 'resolved'] as const) {
      expect(upcomingStep(counts, { ...open, state })).toEqual({ kind: 'none' });
    }
  });
  it('agrees with what the timer decides when it falls due, in every state', () => {
    const snoozes = [null, new Date('2026-11-30T09:00:00Z'), new Date('2026-11-30T12:00:00Z')];
    for (const [state, stance] of ESCALATION_STATES.flatMap((s) => [
      [s, null],
      [s, 'agree'],
    ])) {
      for (const level of [0, 1, 2]) {
        for (const repeatsSent of [0, 1, 2]) {
          for (const snoozedUntil of snoozes) {
            const current = { state, stance, level, repeatsSent, snoozedUntil, nextStepAt } as TimerState & {
              nextStepAt: Date;
            };
            const shown = upcomingStep(counts, current);
            let decided = decideTimer(chain, current, nextStepAt);
            // A snoozed reminder is postponed to the snooze's end, and decided again then.
            if (decided.kind === 'postpone') decided = decideTimer(chain, current, decided.until);
            const context = JSON.stringify(current);
            expect(shown.kind, context).toBe(
              { climb: 'climb', remind: 'reminder', none: 'none', postpone: 'postpone' }[decided.kind],
            );
            if (shown.kind === 'climb' && decided.kind === 'climb') expect(shown.level, context).toBe(decided.toLevel);
            if (shown.kind === 'reminder')
              expect(shown.dueAt, context).toEqual(
                snoozedUntil && snoozedUntil > nextStepAt ? snoozedUntil : nextStepAt,
              );
          }
        }
      }
    }
  });
});
