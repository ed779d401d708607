/** Deactivated managers in a chain: climbs skip them, and what they hold is handed over. */
import { describe, expect, it } from 'vitest';
import { due, now, stepRow as row } from '../helpers/step-row.js';
import { handoverTarget, planHandover, planStep } from '../../src/domain/escalation-step.js';
import { decideTimer, nextActiveLevel } from '../../src/domain/escalation.js';

describe('a chain with deactivated managers', () => {
  it('finds the next active level, skipping every deactivated one, or none', () => {
    const levels = ['m1', 'm2', 'm3', 'm4'];
    expect(nextActiveLevel(levels, 0, new Set())).toBe(1);
    expect(nextActiveLevel(levels, 0, new Set(['m2']))).toBe(2);
    expect(nextActiveLevel(levels, 0, new Set(['m2', 'm3']))).toBe(3);
    expect(nextActiveLevel(levels, 0, new Set(['m2', 'm3', 'm4']))).toBeNull();
    expect(nextActiveLevel(levels, 3, new Set())).toBeNull();
  });

  it('a climb skips a deactivated level; with none active above, the current level is reminded as the last', () => {
    const { chain } = row();
    expect(decideTimer(chain, row(), now, new Set(['m2']))).toMatchObject({ kind: 'climb', toLevel: 2 });
    expect(decideTimer(chain, row(), now, new Set(['m2', 'm3']))).toMatchObject({ kind: 'remind', repeatNumber: 1 });
    const plan = planStep(row(), 1, now, new Set(['m2']));
    expect(plan).toMatchObject({ kind: 'change', outcome: 'climbed', set: { level: 2, assigneeStaffId: 'm3' } });
  });

  it('hands over to the next active level, else to the most senior active manager of the ward policy, else nobody', () => {
    const gone = new Set(['m1']);
    expect(handoverTarget(row(), gone, ['m1', 'm2', 'm3'])).toEqual({ level: 1, staffId: 'm2', via: 'chain' });
    expect(handoverTarget(row(), new Set(['m1', 'm2']), [])).toEqual({ level: 2, staffId: 'm3', via: 'chain' });
    const last = row({ level: 2, assigneeStaffId: 'm3' });
    expect(handoverTarget(last, new Set(['m3']), ['p1', 'p2', 'm3'])).toEqual({
      level: 2,
      staffId: 'p2',
      via: 'ward_policy',
    });
    expect(handoverTarget(last, new Set(['m3', 'p2']), ['p1', 'p2'])).toEqual({
      level: 2,
      staffId: 'p1',
      via: 'ward_policy',
    });
    expect(handoverTarget(last, new Set(['m3', 'p1']), ['p1', 'm3'])).toBeNull();
    expect(handoverTarget(last, new Set(['m3']), [])).toBeNull();
  });

  it('a hand-over opens the escalation again at the new assignee with a fresh deadline, whatever its state', () => {
    const acknowledged = row({ state: 'acknowledged', nextStepAt: null, snoozedUntil: due, repeatsSent: 1 });
    const change = planHandover(acknowledged, { level: 1, staffId: 'm2', via: 'chain' }, now);
    const fresh = new Date(now.getTime() + 3_600_000);
    expect(change).toEqual({
      kind: 'change',
      outcome: 'handed_over',
      step: 2,
      set: {
        level: 1,
        assigneeStaffId: 'm2',
        dueAt: fresh,
        nextStepAt: fresh,
        repeatsSent: 0,
        state: 'open',
        acknowledgedAt: null,
        snoozedUntil: null,
      },
      timerAt: fresh,
      record: {
        event: {
          type: 'reassigned',
          level: 1,
          assigneeStaffId: 'm2',
          details: {
            reason: 'assignee_deactivated',
            via: 'chain',
            fromLevel: 1,
            fromStaffId: 'm1',
            previousState: 'acknowledged',
          },
        },
        notice: { recipientStaffId: 'm2', type: 'assigned', level: 1, dueAt: fresh },
        newAssignee: 'm2',
        audit: {
          action: 'reassigned',
          changes: {
            reason: 'assignee_deactivated',
            via: 'chain',
            level: { from: 1, to: 2 },
            assigneeStaffId: { from: 'm1', to: 'm2' },
            state: { from: 'acknowledged', to: 'open' },
            dueAt: { from: due.toISOString(), to: fresh.toISOString() },
          },
        },
      },
    });
  });
});
