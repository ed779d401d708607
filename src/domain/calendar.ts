/**
 * Calendar arithmetic for reports on ISO dates (YYYY-MM-DD). Pure, no I/O.
 *
 * Dates are calendar days with no time zone: they are handled as UTC midnights internally, so
 * daylight saving never shifts a day. Turning an instant into a local date is the one place a
 * time zone matters (`localDateOf`).
 */

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Reports are read in the trust's own calendar: NHS trusts in England work in UK time. */
export const REPORT_TIME_ZONE = 'Europe/London';

/** Days since 1970-01-01 for an ISO date; throws on anything that is not a real date. */
export function dayNumber(date: string): number {
  const match = ISO_DATE.exec(date);
  if (!match) throw new RangeError(`not an ISO date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    throw new RangeError(`not a real date: ${date}`);
  }
  return ms / DAY_MS;
}

export function dateOfDayNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return dateOfDayNumber(dayNumber(date) + days);
}

/** b - a in whole days. */
export function daysBetween(a: string, b: string): number {
  return dayNumber(b) - dayNumber(a);
}

/** Days from `from` to `to`, both included; 0 when `to` is before `from`. */
export function daysInclusive(from: string, to: string): number {
  return Math.max(0, daysBetween(from, to) + 1);
}

/** ISO weekday: 1 Monday .. 7 Sunday. */
export function isoWeekday(date: string): number {
  const weekday = new Date(dayNumber(date) * DAY_MS).getUTCDay();
  return weekday === 0 ? 7 : weekday;
}

/** Working days are Monday to Friday (bank holidays are not known to the service). */
export function isWorkingDay(date: string): boolean {
  return isoWeekday(date) <= 5;
}

/** Monday-to-Friday days from `from` to `to`, both included; 0 when `to` is before `from`. */
export function countWorkingDays(from: string, to: string): number {
  const total = daysInclusive(from, to);
  if (total === 0) return 0;
  const fullWeeks = Math.floor(total / 7);
  let count = fullWeeks * 5;
  for (let i = fullWeeks * 7; i < total; i++) if (isWorkingDay(addDays(from, i))) count++;
  return count;
}

/** The Monday starting the ISO week that contains `date`. */
export function isoWeekStart(date: string): string {
  return addDays(date, 1 - isoWeekday(date));
}

/**
 * Monday of every ISO week lying wholly inside [from, to] (Monday on or after `from`, Sunday
 * on or before `to`). Partial weeks at either end are left out: a count over a part of a week
 * would look like a fall in the process and raise false signals on a control chart.
 */
export function completeIsoWeeks(from: string, to: string): string[] {
  const first = isoWeekday(from) === 1 ? from : addDays(isoWeekStart(from), 7);
  const weeks: string[] = [];
  for (let monday = first; daysBetween(monday, to) >= 6; monday = addDays(monday, 7)) weeks.push(monday);
  return weeks;
}

/** The period of the same length that ends the day before `from`. */
export function previousPeriod(from: string, to: string): { from: string; to: string } {
  const length = daysInclusive(from, to);
  return { from: addDays(from, -length), to: addDays(from, -1) };
}

/** `date` plus whole calendar years (29 February rolls to 1 March in other years). */
export function addYears(date: string, years: number): string {
  const n = dayNumber(date);
  const d = new Date(n * DAY_MS);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString().slice(0, 10);
}

/** The formats the calendar reads instants through (en-CA gives dates as YYYY-MM-DD). */
const FORMS = {
  calendarDate: ['en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' }],
  wallClock: [
    'en-GB',
    {
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    },
  ],
} satisfies Record<string, [string, Intl.DateTimeFormatOptions]>;

/**
 * One formatter per form and time zone: building an Intl.DateTimeFormat costs far more than
 * formatting with it. Kept by form, then by zone, so a look-up builds no key.
 */
const formats: Record<keyof typeof FORMS, Map<string, Intl.DateTimeFormat>> = {
  calendarDate: new Map(),
  wallClock: new Map(),
};

function formatIn(form: keyof typeof FORMS, timeZone: string): Intl.DateTimeFormat {
  let format = formats[form].get(timeZone);
  if (!format) {
    const [locale, options] = FORMS[form];
    formats[form].set(timeZone, (format = new Intl.DateTimeFormat(locale, { ...options, timeZone })));
  }
  return format;
}

/** The calendar date of an instant in `timeZone`. */
export function localDateOf(instant: Date, timeZone: string = REPORT_TIME_ZONE): string {
  return formatIn('calendarDate', timeZone).format(instant);
}

export function minDate(a: string, b: string): string {
  return a <= b ? a : b;
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds (BST: +3,600,000). */
export function timeZoneOffsetMs(instant: Date, timeZone: string = REPORT_TIME_ZONE): number {
  const parts = formatIn('wallClock', timeZone).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant a calendar day starts in `timeZone` (midnight local time). */
export function startOfLocalDay(date: string, timeZone: string = REPORT_TIME_ZONE): Date {
  const wallMidnight = dayNumber(date) * DAY_MS;
  // Two passes: the offset at the first guess may differ from the offset at the answer near a change.
  let instant = wallMidnight - timeZoneOffsetMs(new Date(wallMidnight), timeZone);
  instant = wallMidnight - timeZoneOffsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

/** An instant as ISO 8601 local time with its offset in `timeZone`: 2025-06-30T00:00:00+01:00. */
export function localDateTimeIso(instant: Date, timeZone: string = REPORT_TIME_ZONE): string {
  const offsetMs = timeZoneOffsetMs(instant, timeZone);
  const wall = new Date(Math.floor(instant.getTime() / 1000) * 1000 + offsetMs).toISOString().slice(0, 19);
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${wall}${offsetMs < 0 ? '-' : '+'}${hh}:${mm}`;
}

/** A calendar date as people write it: "Sunday 29 June 2025" (or "29 Jun" short, "29 Jun 2025" with year). */
export function humanDate(date: string, style: 'long' | 'short' | 'shortYear' = 'long'): string {
  const at = new Date(dayNumber(date) * DAY_MS);
  const options: Intl.DateTimeFormatOptions =
    style === 'long'
      ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }
      : { day: 'numeric', month: 'short', ...(style === 'shortYear' ? { year: 'numeric' } : {}) };
  return new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' }).format(at).replace(',', '');
}

/**
 * An instant as people write it in `timeZone`, with the clock's name: "14:05 on Monday 7 December
 * 2026 (GMT)"; local midnight reads as the end of the day before: "the end of Sunday 29 June 2025".
 */
export function humanDateTime(instant: Date, timeZone: string = REPORT_TIME_ZONE): string {
  const date = localDateOf(instant, timeZone);
  if (startOfLocalDay(date, timeZone).getTime() === instant.getTime()) {
    return `the end of ${humanDate(addDays(date, -1))}`;
  }
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('hour')}:${get('minute')} on ${humanDate(date)} (${get('timeZoneName')})`;
}
