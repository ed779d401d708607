/**
 * Screens free text (e.g. a ward safety-briefing issue) for accidental patient
 * identifiers: NHS numbers, UK postcodes and dates of birth.
 *
 * Pure functions, no I/O. They return positions only and never echo the
 * matched text in errors, so a caller cannot leak an identifier by logging them.
 */

export type IdentifierKind = 'nhs_number' | 'postcode' | 'date_of_birth';

export interface IdentifierMatch {
  kind: IdentifierKind;
  /** Offset of the first character (UTF-16 code units, as String.prototype.slice). */
  start: number;
  /** Offset one past the last character (exclusive). */
  end: number;
}

// ---------------------------------------------------------------------------
// NHS numbers

/** 10 digits, optionally grouped 3-3-4 with the same single space or hyphen. */
const NHS_NUMBER_SHAPE = /^\d{3}([ -]?)\d{3}\1\d{4}$/;
// Digit lookarounds stop a match being cut out of a longer digit run.
const NHS_NUMBER_IN_TEXT = /(?<!\d)\d{3}([ -]?)\d{3}\1\d{4}(?!\d)/g;

/**
 * Modulus 11 check: weights 10..2 on digits 1..9, check = 11 - (sum mod 11),
 * 11 becomes 0, 10 is never valid. Accepts `9434765919`, `943 476 5919` or `943-476-5919`.
 */
export function isValidNhsNumber(digits: string): boolean {
  if (!NHS_NUMBER_SHAPE.test(digits)) return false;
  const plain = digits.replace(/[ -]/g, '');
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += digitAt(plain, i) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === digitAt(plain, 9);
}

function digitAt(s: string, index: number): number {
  return s.charCodeAt(index) - 48; // '0' is 48; callers have already checked the shape
}

function findNhsNumbers(text: string): IdentifierMatch[] {
  const found: IdentifierMatch[] = [];
  for (const m of text.matchAll(NHS_NUMBER_IN_TEXT)) {
    // Only valid numbers count: random 10-digit runs (phone numbers, lot numbers) are common.
    if (isValidNhsNumber(m[0])) found.push(matchOf('nhs_number', m));
  }
  return found;
}

// ---------------------------------------------------------------------------
// UK postcodes

// Royal Mail positional letter rules; they also exclude clinical shorthand such as "x2 2hr" or "q4 1hr".
const FIRST_LETTER = '[A-PR-UWYZ]'; // not Q V X
const SECOND_LETTER = '[A-HK-Y]'; // not I J Z
const THIRD_LETTER_A9A = '[ABCDEFGHJKPSTUW]';
const FOURTH_LETTER_AA9A = '[ABEHMNPRVWXY]';
const INWARD_LETTER = '[ABD-HJLNP-UW-Z]'; // not C I K M O V
// Outward codes A9, A99, A9A, AA9, AA99, AA9A.
const OUTWARD = `(?:${FIRST_LETTER}\\d(?:\\d|${THIRD_LETTER_A9A})?|${FIRST_LETTER}${SECOND_LETTER}\\d(?:\\d|${FOURTH_LETTER_AA9A})?)`;
const INWARD = `\\d${INWARD_LETTER}{2}`;
// The inward part is mandatory, so "bay 4" or "B12 injection" never match; the
// alphanumeric lookarounds stop matches inside words such as "covid19".
const POSTCODE_IN_TEXT = new RegExp(`(?<![A-Za-z0-9])${OUTWARD} ?${INWARD}(?![A-Za-z0-9])`, 'gi');

function findPostcodes(text: string): IdentifierMatch[] {
  return [...text.matchAll(POSTCODE_IN_TEXT)].map((m) => matchOf('postcode', m));
}

// ---------------------------------------------------------------------------
// Dates of birth

/** A date counts as a date of birth only this close after a trigger word (chars between them). */
const DOB_MAX_GAP_AFTER_TRIGGER = 30;
/** ... or this close before one, with only punctuation/space between, e.g. "12/03/1954 (DOB)". */
const DOB_MAX_GAP_BEFORE_TRIGGER = 3;

// "dob" needs a word boundary after it so "dobutamine" is not a trigger; likewise "stubborn".
const DOB_TRIGGER = /\b(?:d\.?o\.?b\b\.?|date\s+of\s+birth\b|born\b|b\.)/gi;

const MONTH =
  '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])';
const ORDINAL = '(?:st|nd|rd|th)?';

interface DateFormat {
  pattern: RegExp;
  /** Rejects digit groups that cannot be a date (e.g. month 13), from the captured numbers. */
  plausible: (m: RegExpMatchArray) => boolean;
}

const DATE_FORMATS: DateFormat[] = [
  {
    // dd/mm/yyyy, dd-mm-yyyy, dd.mm.yy, d/m/yy (same separator twice)
    pattern: /(?<!\d)(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)/g,
    // Day and month order is not trusted (US-style dates get typed too): accept either reading.
    plausible: (m) => {
      const a = Number(m[1]);
      const b = Number(m[3]);
      return inRange(a, 1, 31) && inRange(b, 1, 31) && Math.min(a, b) <= 12;
    },
  },
  {
    // yyyy-mm-dd (also / or . as separator)
    pattern: /(?<!\d)(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?!\d)/g,
    plausible: (m) => inRange(Number(m[3]), 1, 12) && inRange(Number(m[4]), 1, 31),
  },
  {
    // 12 March 1954, 12th Mar 1954, 12 of March 54, 12-Mar-1954
    pattern: new RegExp(
      `(?<!\\d)(\\d{1,2})${ORDINAL}[\\s-]+(?:of\\s+)?${MONTH}\\.?,?[\\s-]+(?:\\d{4}|\\d{2})(?!\\d)`,
      'gi',
    ),
    plausible: (m) => inRange(Number(m[1]), 1, 31),
  },
  {
    // March 12, 1954 / Mar 12th 1954
    pattern: new RegExp(`\\b${MONTH}\\.?[\\s-]+(\\d{1,2})${ORDINAL},?[\\s-]+(?:\\d{4}|\\d{2})(?!\\d)`, 'gi'),
    plausible: (m) => inRange(Number(m[1]), 1, 31),
  },
];

function inRange(n: number, min: number, max: number): boolean {
  return n >= min && n <= max;
}

interface Span {
  start: number;
  end: number;
}

function findDatesOfBirth(text: string): IdentifierMatch[] {
  const triggers = [...text.matchAll(DOB_TRIGGER)].map(spanOf);
  // Ward issues mention dates constantly; without a trigger word no date is an identifier.
  if (triggers.length === 0) return [];

  const found: IdentifierMatch[] = [];
  for (const format of DATE_FORMATS) {
    for (const m of text.matchAll(format.pattern)) {
      if (!format.plausible(m)) continue;
      const date = matchOf('date_of_birth', m);
      if (triggers.some((trigger) => isNearTrigger(text, date, trigger))) found.push(date);
    }
  }
  return found;
}

function isNearTrigger(text: string, date: Span, trigger: Span): boolean {
  if (date.start >= trigger.end) return date.start - trigger.end <= DOB_MAX_GAP_AFTER_TRIGGER;
  if (trigger.start >= date.end) {
    const gap = text.slice(date.end, trigger.start);
    return gap.length <= DOB_MAX_GAP_BEFORE_TRIGGER && !/[A-Za-z0-9]/.test(gap);
  }
  return false; // spans overlap: the trigger is part of the date text, not a label for it
}

// ---------------------------------------------------------------------------
// Public API

/** All identifiers in `text`, sorted by start and non-overlapping. */
export function findIdentifiers(text: string): IdentifierMatch[] {
  const view = readableView(text);
  if (!view) return normaliseMatches(findInReadable(text));
  // Offsets in the view, taken back to the characters of the text they were read from.
  return normaliseMatches(
    findInReadable(view.text).map((m) => ({ kind: m.kind, start: view.start[m.start]!, end: view.end[m.end - 1]! })),
  );
}

function findInReadable(text: string): IdentifierMatch[] {
  return [...findNhsNumbers(text), ...findPostcodes(text), ...findDatesOfBirth(text)];
}

const ASCII_ONLY = /^\p{ASCII}*$/u;
const INVISIBLE_FORMAT = /\p{Cf}/u;
const ANY_SPACE = /\p{Zs}/u;

/**
 * The text as a reader sees it, for the finders: invisible format characters (zero-width spaces
 * and joiners, bidi marks) left out, every kind of space a plain space, and characters whose
 * compatibility form is one ASCII character (full-width digits and letters) read as it. So an
 * NHS number split by zero-width or no-break spaces, or typed in full-width digits, is found as
 * "943 476 5919" is. `start[i]` and `end[i]` give the span of the text that the view's code unit
 * `i` was read from. Null when the text is ASCII, where the view is the text itself.
 */
function readableView(text: string): { text: string; start: number[]; end: number[] } | null {
  if (ASCII_ONLY.test(text)) return null;
  let view = '';
  const start: number[] = [];
  const end: number[] = [];
  for (let at = 0; at < text.length;) {
    const char = String.fromCodePoint(text.codePointAt(at)!);
    const next = at + char.length;
    if (!INVISIBLE_FORMAT.test(char)) {
      const compatible = ANY_SPACE.test(char) ? ' ' : char.normalize('NFKC');
      const read = compatible.length === 1 && compatible.charCodeAt(0) < 0x80 ? compatible : char;
      view += read;
      for (let unit = 0; unit < read.length; unit++) {
        start.push(at);
        end.push(next);
      }
    }
    at = next;
  }
  return { text: view, start, end };
}

/**
 * Replaces each match with `[redacted <kind>]`. Matches may be given in any order;
 * overlapping ones are resolved as in findIdentifiers.
 */
export function redactIdentifiers(text: string, matches: IdentifierMatch[] = findIdentifiers(text)): string {
  let result = '';
  let cursor = 0;
  for (const match of normaliseMatches(matches)) {
    if (
      !Number.isInteger(match.start) ||
      !Number.isInteger(match.end) ||
      match.start < 0 ||
      match.end > text.length ||
      match.start >= match.end
    ) {
      // Offsets only: the text itself must never appear in an error.
      throw new RangeError(
        `invalid ${match.kind} match offsets ${match.start}..${match.end} for text of length ${text.length}`,
      );
    }
    result += text.slice(cursor, match.start) + `[redacted ${match.kind}]`;
    cursor = match.end;
  }
  return result + text.slice(cursor);
}

/** Sorts by start (longer first on ties) and drops any match overlapping an earlier kept one. */
function normaliseMatches(matches: IdentifierMatch[]): IdentifierMatch[] {
  const sorted = [...matches].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: IdentifierMatch[] = [];
  for (const match of sorted) {
    const last = kept[kept.length - 1];
    if (last === undefined || match.start >= last.end) kept.push(match);
  }
  return kept;
}

function spanOf(m: RegExpMatchArray): Span {
  const start = m.index ?? 0; // always set for matchAll results
  return { start, end: start + m[0].length };
}

function matchOf(kind: IdentifierKind, m: RegExpMatchArray): IdentifierMatch {
  return { kind, ...spanOf(m) };
}
