import { describe, expect, it } from 'vitest';
import {
  addDays,
  addYears,
  completeIsoWeeks,
  countWorkingDays,
  daysInclusive,
  isoWeekStart,
  isoWeekday,
  localDateOf,
  previousPeriod,
  startOfLocalDay,
} from '../../src/domain/calendar.js';

describe('calendar arithmetic on ISO dates', () => {
  it('knows weekdays and ISO week starts', () => {
    expect(isoWeekday('2025-06-02')).toBe(1); // Monday
    expect(isoWeekday('2025-06-08')).toBe(7); // Sunday
    expect(isoWeekStart('2025-06-08')).toBe('2025-06-02');
    expect(isoWeekStart('2025-06-02')).toBe('2025-06-02');
    expect(isoWeekStart('2026-01-01')).toBe('2025-12-29'); // across a year end
  });

  it('counts working days like a day-by-day count, from every weekday and for ranges up to a year', () => {
    const start = '2024-12-20';
    for (let offset = 0; offset < 14; offset++) {
      const from = addDays(start, offset);
      for (let length = 0; length < 400; length += 7 + (length % 5)) {
        const to = addDays(from, length);
        let brute = 0;
        for (let i = 0; i <= length; i++) if (isoWeekday(addDays(from, i)) <= 5) brute++;
        expect(countWorkingDays(from, to), `${from}..${to}`).toBe(brute);
      }
    }
    expect(countWorkingDays('2025-06-02', '2025-06-29')).toBe(20);
    expect(countWorkingDays('2025-06-07', '2025-06-08')).toBe(0);
    expect(countWorkingDays('2025-06-09', '2025-06-08')).toBe(0);
  });

  it('lists only complete ISO weeks inside the period', () => {
    expect(completeIsoWeeks('2025-06-02', '2025-06-29')).toEqual([
      '2025-06-02',
      '2025-06-09',
      '2025-06-16',
      '2025-06-23',
    ]);
    expect(completeIsoWeeks('2025-06-03', '2025-06-28')).toEqual(['2025-06-09', '2025-06-16']);
    expect(completeIsoWeeks('2025-06-02', '2025-06-07')).toEqual([]);
    expect(completeIsoWeeks('2025-06-02', '2025-06-08')).toEqual(['2025-06-02']);
  });

  it('gives the previous period of the same length', () => {
    expect(previousPeriod('2025-06-02', '2025-06-29')).toEqual({ from: '2025-05-05', to: '2025-06-01' });
    expect(previousPeriod('2024-03-01', '2024-03-31')).toEqual({ from: '2024-01-30', to: '2024-02-29' });
    expect(daysInclusive('2025-06-02', '2025-06-29')).toBe(28);
  });

  it('adds years, rolling 29 February over', () => {
    expect(addYears('2024-02-29', 2)).toBe('2026-03-01');
    expect(addYears('2025-06-02', 2)).toBe('2027-06-02');
  });

  it('refuses dates that are not real', () => {
    expect(() => addDays('2025-02-30', 1)).toThrow(RangeError);
    expect(() => addDays('20250601', 1)).toThrow(RangeError);
  });

  it('finds local midnight in London across the clock changes', () => {
    expect(startOfLocalDay('2025-01-15').toISOString()).toBe('2025-01-15T00:00:00.000Z');
    expect(startOfLocalDay('2025-06-30').toISOString()).toBe('2025-06-29T23:00:00.000Z');
    expect(startOfLocalDay('2025-03-30').toISOString()).toBe('2025-03-30T00:00:00.000Z'); // clocks go forward at 01:00
    expect(startOfLocalDay('2025-03-31').toISOString()).toBe('2025-03-30T23:00:00.000Z');
    expect(startOfLocalDay('2025-10-26').toISOString()).toBe('2025-10-25T23:00:00.000Z'); // clocks go back at 02:00
    expect(startOfLocalDay('2025-10-27').toISOString()).toBe('2025-10-27T00:00:00.000Z');
  });

  it('reads the local date of an instant', () => {
    expect(localDateOf(new Date('2025-06-29T22:59:59Z'))).toBe('2025-06-29');
    expect(localDateOf(new Date('2025-06-29T23:00:00Z'))).toBe('2025-06-30');
    expect(localDateOf(new Date('2025-12-31T23:30:00Z'))).toBe('2025-12-31');
  });
});
