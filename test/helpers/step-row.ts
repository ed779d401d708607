import type { StepRow } from '../../src/domain/escalation-step.js';

export const at = (iso: string) => new Date(iso);
/** When step 1 of the fixture chain falls due, and a moment after it. */
export const due = at('2026-03-02T09:00:00Z');
export const now = at('2026-03-02T09:00:05Z');

/** Step 1 of a three-level chain, due at 09:00, acknowledge within 1 h, 2 reminders every 4 h. */
export const stepRow = (overrides: Partial<StepRow> = {}): StepRow => ({
  id: 'e1',
  state: 'open',
  step: 1,
  level: 0,
  chain: { levels: ['m1', 'm2', 'm3'], ackWithinSeconds: 3_600, repeatEverySeconds: 4 * 3_600, maxRepeats: 2 },
  assigneeStaffId: 'm1',
  dueAt: due,
  nextStepAt: due,
  repeatsSent: 0,
  snoozedUntil: null,
  stance: null,
  ...overrides,
});
