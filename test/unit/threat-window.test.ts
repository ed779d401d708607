/**
 * A thread's probability comes from how often it was raised over the report window: for a window
 * still running, over the days it has had so far, not the days still to come.
 */
import { describe, expect, it } from 'vitest';
import { rankThreats } from '../../src/reports/threats.js';
import { reportPeriod } from '../../src/reports/scope.js';
import type { ThreatThreadRow } from '../../src/reports/threats-queries.js';

/** A moderate-consequence thread raised `raised` times in the window. */
const thread = (raised: number): ThreatThreadRow => ({
  thread_id: '00000000-0000-4000-8000-000000000001',
  times_raised: raised,
  raised_in_period: raised,
  first_raised_on: '2026-01-01',
  last_raised_on: '2026-01-28',
  days_open: 27,
  consequence: 3,
  risk_score: 9,
});

describe('the window threat probability is read over', () => {
  it('is the days up to the as-at date in a quarter still running', () => {
    // 1 January to 31 March, read on 28 January: 28 days so far. Four raisings in them is weekly.
    const running = reportPeriod('2026-01-01', '2026-03-31', new Date('2026-01-28T12:00:00Z'));
    expect(rankThreats([thread(4)], running, 10)[0]).toMatchObject({ probability: 4, raisingsInWindow: 4 });
  });

  it('is the whole window once it has ended', () => {
    // The same four raisings over the whole quarter (90 days) is about monthly.
    const ended = reportPeriod('2026-01-01', '2026-03-31', new Date('2026-04-02T12:00:00Z'));
    expect(rankThreats([thread(4)], ended, 10)[0]).toMatchObject({ probability: 3, raisingsInWindow: 4 });
  });
});
