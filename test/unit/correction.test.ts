import { describe, expect, it } from 'vitest';
import { reevaluateEscalation, type ReevaluationInput } from '../../src/domain/correction.js';
import { DEFAULT_ACK_WITHIN_SECONDS, type EscalationState } from '../../src/domain/escalation.js';

const now = new Date('2026-03-02T09:00:00Z');
const hours = (h: number) => new Date(now.getTime() + h * 3_600_000);
const policy = { minBand: 'moderate' as const, ackWithinSeconds: DEFAULT_ACK_WITHIN_SECONDS };

/** An open high-band escalation due in 3 hours (4 h for high, started an hour ago). */
const escalation = (state: EscalationState = 'open', dueInHours = 3) => ({
  state,
  band: 'high' as const,
  dueAt: hours(dueInHours),
  nextStepAt: state === 'open' ? hours(dueInHours) : null,
});

const input = (overrides: Partial<ReevaluationInput>): ReevaluationInput => ({
  from: 'high',
  to: 'high',
  itemOpen: true,
  escalation: escalation(),
  policy,
  now,
  ...overrides,
});

describe('re-evaluating an escalation after an amendment', () => {
  it('does nothing when the band did not change', () => {
    expect(reevaluateEscalation(input({}))).toEqual({ kind: 'none' });
  });

  it('brings the deadline of an unacknowledged escalation forward to the higher band from now', () => {
    // extreme: acknowledge within 1 h, sooner than the 3 h left.
    expect(reevaluateEscalation(input({ to: 'extreme' }))).toEqual({ kind: 'shorten', dueAt: hours(1) });
  });

  it('never lengthens: a higher band whose deadline from now would be later keeps the deadline', () => {
    const soon = { ...escalation('open', 0.5) };
    expect(reevaluateEscalation(input({ to: 'extreme', escalation: soon }))).toEqual({ kind: 'rebanded' });
  });

  it('keeps the deadline of an overdue escalation (its timer already runs the chain)', () => {
    const overdue = escalation('open', -1);
    expect(reevaluateEscalation(input({ to: 'extreme', escalation: overdue }))).toEqual({ kind: 'rebanded' });
  });

  it('records a lower band that stays at or above the minimum, keeping the deadline', () => {
    expect(reevaluateEscalation(input({ to: 'moderate' }))).toEqual({ kind: 'rebanded' });
  });

  it('closes an unacknowledged escalation whose band falls below the minimum', () => {
    expect(reevaluateEscalation(input({ to: 'low' }))).toEqual({ kind: 'close' });
  });

  it('leaves an acknowledged or in-progress escalation with its manager when the band falls below the minimum', () => {
    for (const state of ['acknowledged', 'in_progress'] as const) {
      expect(reevaluateEscalation(input({ to: 'low', escalation: escalation(state) }))).toEqual({ kind: 'rebanded' });
    }
  });

  it('does not shorten an acknowledged escalation (no deadline is pending)', () => {
    expect(reevaluateEscalation(input({ to: 'extreme', escalation: escalation('acknowledged') }))).toEqual({
      kind: 'rebanded',
    });
  });

  it('starts an escalation for an open item with none whose band rises to the minimum', () => {
    expect(reevaluateEscalation(input({ from: 'low', to: 'moderate', escalation: null }))).toEqual({ kind: 'start' });
  });

  it('starts none below the minimum, for a resolved item, or for good practice', () => {
    expect(
      reevaluateEscalation(
        input({ from: 'low', to: 'moderate', escalation: null, policy: { ...policy, minBand: 'high' } }),
      ),
    ).toEqual({ kind: 'none' });
    expect(reevaluateEscalation(input({ from: 'low', to: 'high', escalation: null, itemOpen: false }))).toEqual({
      kind: 'none',
    });
    expect(reevaluateEscalation(input({ from: null, to: null, escalation: null }))).toEqual({ kind: 'none' });
  });

  it('answers unrouted when the item would start one but the ward has no policy', () => {
    expect(reevaluateEscalation(input({ from: 'low', to: 'high', escalation: null, policy: null }))).toEqual({
      kind: 'unrouted',
    });
  });

  it('ignores a resolved escalation', () => {
    expect(reevaluateEscalation(input({ to: 'low', escalation: escalation('resolved') }))).toEqual({ kind: 'none' });
  });
});
