import { describe, expect, it } from 'vitest';
import { at, due, now, stepRow as row } from '../helpers/step-row.js';
import { planStep } from '../../src/domain/escalation-step.js';

describe('planning one step of the deadline timer', () => {
  it('does nothing for a step the escalation is no longer at, or once work is in progress', () => {
    expect(planStep(row({ step: 2 }), 1, now)).toEqual({ kind: 'stale' });
    expect(planStep(row({ state: 'in_progress' }), 1, now)).toEqual({ kind: 'stale' });
    expect(planStep(row({ nextStepAt: null }), 1, now)).toEqual({ kind: 'stale' });
  });

  it('reminds a manager who acknowledged but has not responded, asking for the response; stops once they have', () => {
    const acknowledged = row({ state: 'acknowledged' });
    expect(planStep(acknowledged, 1, now)).toMatchObject({
      outcome: 'reminded',
      set: { repeatsSent: 1, nextStepAt: at('2026-03-02T13:00:05Z') },
      record: {
        event: {
          type: 'reminded',
          level: 0,
          assigneeStaffId: 'm1',
          details: { repeat: 1, of: 2, awaiting: 'response' },
        },
        notice: { recipientStaffId: 'm1', type: 'reminder' },
      },
    });
    expect(planStep(row({ state: 'acknowledged', stance: 'agree' }), 1, now)).toMatchObject({
      outcome: 'finished',
      record: null,
    });
  });

  it('waits for the step time when the job runs early', () => {
    expect(planStep(row(), 1, at('2026-03-02T08:59:59Z'))).toEqual({ kind: 'not_due', dueAt: due });
  });

  it('climbs to the next manager with a fresh deadline, a notification, an event and an audit entry', () => {
    const plan = planStep(row(), 1, now);
    const nextDue = at('2026-03-02T10:00:05Z');
    expect(plan).toMatchObject({
      kind: 'change',
      outcome: 'climbed',
      step: 2,
      set: { level: 1, assigneeStaffId: 'm2', dueAt: nextDue, nextStepAt: nextDue, repeatsSent: 0 },
      timerAt: nextDue,
      record: {
        event: { type: 'climbed', level: 1, assigneeStaffId: 'm2', details: { fromLevel: 0, fromStaffId: 'm1' } },
        notice: { recipientStaffId: 'm2', type: 'assigned', level: 1, dueAt: nextDue },
        newAssignee: 'm2',
        audit: { action: 'climbed', changes: { level: { from: 1, to: 2 } } },
      },
    });
  });

  it('reminds the last level a bounded number of times, then stops', () => {
    const last = { level: 2, assigneeStaffId: 'm3' };
    const first = planStep(row({ ...last }), 1, now);
    expect(first).toMatchObject({
      outcome: 'reminded',
      set: { repeatsSent: 1, nextStepAt: at('2026-03-02T13:00:05Z') },
      timerAt: at('2026-03-02T13:00:05Z'),
      record: { notice: { recipientStaffId: 'm3', type: 'reminder', level: 2, dueAt: due }, newAssignee: null },
    });
    const final = planStep(row({ ...last, repeatsSent: 1 }), 1, now);
    expect(final).toMatchObject({ outcome: 'reminded', set: { repeatsSent: 2, nextStepAt: null }, timerAt: null });
    expect(planStep(row({ ...last, repeatsSent: 2 }), 1, now)).toMatchObject({
      outcome: 'finished',
      set: { nextStepAt: null },
      timerAt: null,
      record: null,
    });
  });

  it('holds reminders back until a snooze ends, recording nothing meanwhile', () => {
    const until = at('2026-03-02T12:00:00Z');
    expect(planStep(row({ level: 2, assigneeStaffId: 'm3', snoozedUntil: until }), 1, now)).toEqual({
      kind: 'change',
      outcome: 'postponed',
      step: 2,
      set: { nextStepAt: until },
      timerAt: until,
      record: null,
    });
  });
  it("climbs past a snooze: the snooze was the manager's who missed the deadline, not the next one's", () => {
    const plan = planStep(row({ snoozedUntil: at('2026-04-01T09:00:00Z') }), 1, now);
    expect(plan).toMatchObject({ outcome: 'climbed', set: { level: 1, assigneeStaffId: 'm2', snoozedUntil: null } });
  });

  it('climbs past a level naming the manager who already holds the escalation', () => {
    // A category route put m2 first; the policy's own level 2 is m2 too.
    const routed = row({ chain: { ...row().chain, levels: ['m2', 'm2', 'm3'] }, assigneeStaffId: 'm2' });
    expect(planStep(routed, 1, now)).toMatchObject({ outcome: 'climbed', set: { level: 2, assigneeStaffId: 'm3' } });
    // Reassigned to the next level's manager: the climb goes on to the level after.
    expect(planStep(row({ assigneeStaffId: 'm2' }), 1, now)).toMatchObject({
      outcome: 'climbed',
      set: { level: 2, assigneeStaffId: 'm3' },
    });
    // Nobody else above: the holder is at the last level, and is reminded.
    const alone = row({ chain: { ...row().chain, levels: ['m3', 'm3'] }, assigneeStaffId: 'm3' });
    expect(planStep(alone, 1, now)).toMatchObject({
      outcome: 'reminded',
      record: { notice: { recipientStaffId: 'm3' } },
    });
  });
});
