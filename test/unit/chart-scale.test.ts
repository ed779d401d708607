import { describe, expect, it } from 'vitest';
import { clampToBounds, measureBounds, niceAxis, niceStep } from '../../src/domain/chart-scale.js';
import { humanDate, humanDateTime, localDateTimeIso } from '../../src/domain/calendar.js';
import { reportPeriod } from '../../src/reports/scope.js';
import { chartWeeks } from '../../src/reports/spc.js';

describe('round axis ticks', () => {
  it('step by 1, 2 or 5 times a power of ten, at most five intervals', () => {
    expect(niceStep(14.44)).toBe(5); // 2.89 a tick -> 5
    expect(niceStep(1)).toBe(0.2);
    expect(niceStep(31.5)).toBe(10); // 6.3 -> 10
    expect(niceStep(0.37)).toBe(0.1); // 0.074 -> 0.1
    expect(niceStep(1000)).toBe(200);
    expect(niceStep(0.004)).toBe(0.001);
  });

  it('widen the range to whole steps, every tick written exactly', () => {
    expect(niceAxis(0, 14.44)).toEqual({ lo: 0, hi: 15, step: 5, ticks: [0, 5, 10, 15] });
    expect(niceAxis(0.12, 0.49).ticks).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(niceAxis(2.3, 7.9)).toEqual({ lo: 2, hi: 8, step: 2, ticks: [2, 4, 6, 8] });
  });
});

describe('what a measure can take', () => {
  it('keeps counts and days at 0 or more, and a share between 0 and 1', () => {
    expect(clampToBounds(-5.75, measureBounds('items'))).toBe(0);
    expect(clampToBounds(22.1, measureBounds('days'))).toBe(22.1);
    expect(clampToBounds(2.495, measureBounds('share'))).toBe(1);
    expect(clampToBounds(-1.495, measureBounds('share'))).toBe(0);
    expect(clampToBounds(null, measureBounds('share'))).toBeNull();
  });
});

describe('times as people write them, in UK time', () => {
  it('write dates and instants in words, and ISO with the UK offset', () => {
    expect(humanDate('2025-06-02')).toBe('Monday 2 June 2025');
    expect(humanDate('2025-06-02', 'short')).toBe('2 Jun');
    expect(humanDate('2025-12-29', 'shortYear')).toBe('29 Dec 2025');
    // Midnight BST after 29 June is 23:00 UTC on the 29th.
    expect(humanDateTime(new Date('2025-06-29T23:00:00Z'))).toBe('the end of Sunday 29 June 2025');
    expect(humanDateTime(new Date('2025-06-10T14:05:30Z'))).toBe('15:05 on Tuesday 10 June 2025 (BST)');
    expect(humanDateTime(new Date('2026-01-12T09:30:00Z'))).toBe('09:30 on Monday 12 January 2026 (GMT)');
    expect(localDateTimeIso(new Date('2025-06-29T23:00:00.400Z'))).toBe('2025-06-30T00:00:00+01:00');
    expect(localDateTimeIso(new Date('2026-01-12T09:30:00Z'))).toBe('2026-01-12T09:30:00+00:00');
  });
});

describe('the weeks a chart covers', () => {
  const weeks = (now: string, to = '2025-06-29') => chartWeeks(reportPeriod('2025-06-02', to, new Date(now))).weeks;

  it('leave out the current week until its Sunday is over (UK time)', () => {
    // Sunday 29 June, 15:00 BST: the week of 23 June is not over yet.
    expect(weeks('2025-06-29T14:00:00Z')).toEqual(['2025-06-02', '2025-06-09', '2025-06-16']);
    // 00:30 BST on Monday 30 June (23:30 UTC on the 29th): it is.
    expect(weeks('2025-06-29T23:30:00Z')).toEqual(['2025-06-02', '2025-06-09', '2025-06-16', '2025-06-23']);
  });

  it("leave out the period's last week when the period ends before the week does", () => {
    expect(weeks('2025-08-01T12:00:00Z', '2025-06-28')).toEqual(['2025-06-02', '2025-06-09', '2025-06-16']);
  });
});
