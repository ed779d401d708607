import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  findIdentifiers,
  isValidNhsNumber,
  redactIdentifiers,
  type IdentifierKind,
  type IdentifierMatch,
} from '../../src/domain/identifiers.js';

/** Kinds and matched substrings, for readable assertions. */
function found(text: string): Array<[IdentifierKind, string]> {
  return findIdentifiers(text).map((m) => [m.kind, text.slice(m.start, m.end)]);
}

function kindsOf(text: string): IdentifierKind[] {
  return findIdentifiers(text).map((m) => m.kind);
}

/**
 * Independent reference: with the check digit given weight 1, a valid NHS number
 * has sum(d_i * (11 - i)) for i = 1..10 divisible by 11. This covers the "11 -> 0"
 * rule and the "10 is invalid" rule without spelling either out.
 */
function referenceIsValid(tenDigits: string): boolean {
  if (!/^[0-9]{10}$/.test(tenDigits)) return false;
  const weights = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  const total = weights.reduce((sum, weight, i) => sum + weight * Number(tenDigits[i]), 0);
  return total % 11 === 0;
}

/** Small deterministic PRNG (mulberry32) so the property test is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function group(tenDigits: string, separator: string): string {
  return `${tenDigits.slice(0, 3)}${separator}${tenDigits.slice(3, 6)}${separator}${tenDigits.slice(6)}`;
}

// Worked examples (weights 10..2 on the first nine digits):
// 943476591: 90+36+24+28+42+30+20+27+2 = 299, 299 mod 11 = 2, check 11-2 = 9   -> 9434765919 valid
// 400000016: 40+3+12 = 55, 55 mod 11 = 0, check 11 -> 0                         -> 4000000160 valid
// 400000008: 40+16 = 56, 56 mod 11 = 1, check 10                               -> no valid number
// 876543210: 80+63+48+35+24+15+8+3+0 = 276, 276 mod 11 = 1, check 10             -> no valid number
const VALID_NHS_NUMBERS = ['9434765919', '4000000160', '4010232137', '4857773457', '1234567881', '4505577104'];

describe('isValidNhsNumber (Modulus 11)', () => {
  it('the reference implementation agrees with the worked examples', () => {
    for (const n of VALID_NHS_NUMBERS) expect(referenceIsValid(n), n).toBe(true);
    expect(referenceIsValid('9434765918')).toBe(false);
  });

  it.each(VALID_NHS_NUMBERS)('accepts %s', (n) => {
    expect(isValidNhsNumber(n)).toBe(true);
  });

  it('accepts the three groupings of 943 476 5919', () => {
    expect(isValidNhsNumber('9434765919')).toBe(true);
    expect(isValidNhsNumber('943 476 5919')).toBe(true);
    expect(isValidNhsNumber('943-476-5919')).toBe(true);
  });

  it('maps check value 11 to 0 (4000000160)', () => {
    expect(isValidNhsNumber('4000000160')).toBe(true);
    for (let last = 1; last <= 9; last++) expect(isValidNhsNumber(`400000016${last}`)).toBe(false);
  });

  it('rejects every number whose check value is 10, whatever the last digit', () => {
    for (const first9 of ['400000008', '876543210']) {
      for (let last = 0; last <= 9; last++) expect(isValidNhsNumber(`${first9}${last}`), `${first9}${last}`).toBe(false);
    }
  });

  it('rejects every single-digit change of a valid number', () => {
    for (const valid of VALID_NHS_NUMBERS) {
      let variants = 0;
      for (let pos = 0; pos < 10; pos++) {
        for (let d = 0; d <= 9; d++) {
          if (String(d) === valid[pos]) continue;
          const changed = valid.slice(0, pos) + String(d) + valid.slice(pos + 1);
          expect(isValidNhsNumber(changed), changed).toBe(false);
          variants++;
        }
      }
      expect(variants).toBe(90);
    }
  });

  it('rejects every transposition of two different adjacent digits', () => {
    for (const valid of VALID_NHS_NUMBERS) {
      for (let pos = 0; pos < 9; pos++) {
        if (valid[pos] === valid[pos + 1]) continue;
        const swapped = valid.slice(0, pos) + valid[pos + 1] + valid[pos] + valid.slice(pos + 2);
        expect(isValidNhsNumber(swapped), swapped).toBe(false);
      }
    }
  });

  it.each([
    '',
    '943476591', // 9 digits
    '94347659190', // 11 digits
    ' 9434765919',
    '9434765919 ',
    '943 476-5919', // mixed separators
    '943  476 5919', // double space
    '94 3476 5919', // wrong grouping
    '9434 76 5919',
    '943.476.5919',
    '943_476_5919',
    'abcdefghij',
    '９４３４７６５９１９', // full-width digits
    '943476591a',
  ])('rejects malformed input %j', (input) => {
    expect(isValidNhsNumber(input)).toBe(false);
  });

  it('agrees with the reference implementation on 20,000 generated numbers (all groupings)', () => {
    const random = prng(20_240_312);
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      let n = '';
      for (let k = 0; k < 10; k++) n += String(Math.floor(random() * 10));
      const expected = referenceIsValid(n);
      if (expected) valid++;
      expect(isValidNhsNumber(n), n).toBe(expected);
      expect(isValidNhsNumber(group(n, ' ')), n).toBe(expected);
      expect(isValidNhsNumber(group(n, '-')), n).toBe(expected);
    }
    // About 10/11 * 1/10 of random numbers are valid; make sure both outcomes were exercised.
    expect(valid).toBeGreaterThan(1_400);
    expect(valid).toBeLessThan(2_200);
  });

  it('agrees with the reference on generated valid numbers (check digit appended by the reference rule)', () => {
    const random = prng(7);
    for (let i = 0; i < 5_000; i++) {
      let first9 = '';
      for (let k = 0; k < 9; k++) first9 += String(Math.floor(random() * 10));
      const candidates = Array.from({ length: 10 }, (_, d) => `${first9}${d}`).filter(referenceIsValid);
      expect(candidates.length).toBeLessThanOrEqual(1);
      for (let d = 0; d <= 9; d++) {
        const n = `${first9}${d}`;
        expect(isValidNhsNumber(n), n).toBe(candidates.includes(n));
      }
    }
  });
});

describe('findIdentifiers: NHS numbers', () => {
  it.each([
    ['NHS 9434765919 noted', '9434765919'],
    ['NHS 943 476 5919 noted', '943 476 5919'],
    ['NHS 943-476-5919 noted', '943-476-5919'],
  ])('finds %j with correct offsets', (text, number) => {
    expect(findIdentifiers(text)).toEqual([{ kind: 'nhs_number', start: 4, end: 4 + number.length }]);
  });

  it('finds numbers at the very start and end of the text', () => {
    expect(findIdentifiers('9434765919')).toEqual([{ kind: 'nhs_number', start: 0, end: 10 }]);
    expect(findIdentifiers('943 476 5919')).toEqual([{ kind: 'nhs_number', start: 0, end: 12 }]);
  });

  it('finds numbers next to punctuation and letters', () => {
    expect(found('(9434765919)')).toEqual([['nhs_number', '9434765919']]);
    expect(found('NHS:943-476-5919.')).toEqual([['nhs_number', '943-476-5919']]);
    // Adjacent letters are still flagged: better to over-redact a typo than leak a number.
    expect(found('ref9434765919x')).toEqual([['nhs_number', '9434765919']]);
  });

  it('does not report numbers failing the check', () => {
    expect(findIdentifiers('NHS 9434765918')).toEqual([]);
    expect(findIdentifiers('NHS 943 476 5918')).toEqual([]);
    expect(findIdentifiers('lot 4000000087 expired')).toEqual([]);
  });

  it('does not match inside a longer digit run', () => {
    // each of these contains the valid 9434765919 as a substring
    expect(findIdentifiers('barcode 129434765919')).toEqual([]); // 12 digits
    expect(findIdentifiers('barcode 94347659191')).toEqual([]); // 11 digits
    expect(findIdentifiers('barcode 1194347659192')).toEqual([]);
    expect(findIdentifiers('1943 476 5919')).toEqual([]);
    expect(findIdentifiers('943 476 59190')).toEqual([]);
    expect(findIdentifiers('1943-476-5919')).toEqual([]);
  });

  it('does not accept odd groupings', () => {
    expect(findIdentifiers('943 476-5919')).toEqual([]);
    expect(findIdentifiers('943  476  5919')).toEqual([]);
    expect(findIdentifiers('94 347 65919')).toEqual([]);
    expect(findIdentifiers('943.476.5919')).toEqual([]);
  });

  it('ignores phone numbers that fail the check', () => {
    expect(findIdentifiers('bleep 020 7946 0958 or 07700 900123')).toEqual([]);
  });

  it('finds a generated number in text exactly when it is valid', () => {
    const random = prng(99);
    for (let i = 0; i < 3_000; i++) {
      let n = '';
      for (let k = 0; k < 10; k++) n += String(Math.floor(random() * 10));
      const separator = [' ', '-', ''][i % 3] ?? '';
      const shown = group(n, separator);
      const text = `Patient NHS no. ${shown} in bay 4`;
      const expected = referenceIsValid(n) ? [{ kind: 'nhs_number', start: 16, end: 16 + shown.length }] : [];
      expect(findIdentifiers(text), shown).toEqual(expected);
    }
  });
});

describe('findIdentifiers: postcodes', () => {
  it.each([
    'SW1A 1AA',
    'W2 1PG',
    'M1 1AE',
    'B33 8TH',
    'CR2 6XH',
    'DN55 1PT',
    'EC1A 1BB',
    'W1K 7TN',
    'N1C 4AG',
    'E1W 1AA',
    'NW1W 9XY',
    'sw1a 1aa',
    'Ec1a 1Bb',
    'SW1A1AA',
    'm11ae',
    'DN551PT',
  ])('finds %j', (postcode) => {
    const text = `Lives at ${postcode}, near the hospital`;
    expect(findIdentifiers(text)).toEqual([{ kind: 'postcode', start: 9, end: 9 + postcode.length }]);
  });

  it('finds postcodes at the start and end of text and next to punctuation', () => {
    expect(found('M1 1AE')).toEqual([['postcode', 'M1 1AE']]);
    expect(found('address (B33 8TH).')).toEqual([['postcode', 'B33 8TH']]);
  });

  it.each([
    'bay 4',
    'Bay 4 bed 12',
    'B12 injection given',
    'covid19 positive',
    'Covid-19 1st dose',
    'NEWS2 score 5',
    'SpO2 94% on 2L',
    'O2 2lpm',
    'GCS 15',
    'T2 diabetic',
    'x2 2hr obs', // X is never a first letter
    'q4 1hr', // nor Q
    'SW1A 1CA', // C not allowed in the inward code
    'SW1A 1AI',
    'SW1A 1AK',
    'SW1A 1MA',
    'SW1A 1OA',
    'SW1A 1AV',
    'QA1 1AA', // Q first
    'VA1 1AA', // V first
    'AI1 1AA', // I second
    'AJ1 1AA', // J second
    'AZ1 1AA', // Z second
    'W1I 1AA', // I not allowed in A9A
    'SW1C 1AA', // C not allowed in AA9A
    'SW1A  1AA', // two spaces
    'SW1A-1AA',
    'SW1A 1AAA', // runs on into a longer token
    'SW1A 1A',
    'ABC1 1AA', // three letters
    '1SW1A 1AA',
    'SW 1AA', // no district digit
    'SW123 1AA',
  ])('does not match %j', (text) => {
    expect(kindsOf(text)).not.toContain('postcode');
  });
});

describe('findIdentifiers: dates of birth', () => {
  it.each([
    ['DOB 12/03/1954', '12/03/1954'],
    ['DOB: 12-03-1954', '12-03-1954'],
    ['dob 12.03.54', '12.03.54'],
    ['DoB 1/2/54', '1/2/54'],
    ['D.O.B 12/03/1954', '12/03/1954'],
    ['D.O.B.: 12/03/1954', '12/03/1954'],
    ['d.o.b. 3/4/1954', '3/4/1954'],
    ['Date of birth: 1954-03-12', '1954-03-12'],
    ['DATE OF BIRTH 12 March 1954', '12 March 1954'],
    ['born 12 March 1954', '12 March 1954'],
    ['Born 12th Mar 1954', '12th Mar 1954'],
    ['b. 12th Mar 1954', '12th Mar 1954'],
    ['B.12/03/1954', '12/03/1954'],
    ['born on the 3rd of May 1960', '3rd of May 1960'],
    ['born March 12, 1954', 'March 12, 1954'],
    ['DOB 12-Mar-1954', '12-Mar-1954'],
    ['DOB 1 Sept 1954', '1 Sept 1954'],
    ['DOB 03/25/1954', '03/25/1954'], // US order is still flagged
  ])('finds the date in %j', (text, date) => {
    const start = text.indexOf(date);
    expect(findIdentifiers(text)).toEqual([{ kind: 'date_of_birth', start, end: start + date.length }]);
  });

  it.each([
    ['12/03/1954 (DOB)', '12/03/1954'],
    ['12/03/1954 DOB', '12/03/1954'],
    ['1954-03-12, born', '1954-03-12'],
    ['12 March 1954 (d.o.b.)', '12 March 1954'],
  ])('finds a date directly before the trigger word: %j', (text, date) => {
    expect(findIdentifiers(text)).toEqual([{ kind: 'date_of_birth', start: 0, end: date.length }]);
  });

  it('accepts a date up to 30 characters after the trigger and not further', () => {
    const gap30 = ' (confirmed with son) is    :'; // 29 chars + the space below = 30
    expect((gap30 + ' ').length).toBe(30);
    const near = `DOB${gap30} 12/03/1954`;
    expect(found(near)).toEqual([['date_of_birth', '12/03/1954']]);
    const far = `DOB${gap30}  12/03/1954`;
    expect(findIdentifiers(far)).toEqual([]);
  });

  it('does not treat a date as DOB when the trigger is only nearby in prose before it', () => {
    expect(findIdentifiers('12/03/1954 was recorded as the DOB')).toEqual([]);
    expect(findIdentifiers('12/03/1954     DOB')).toEqual([]); // more than 3 characters between
  });

  it.each([
    'Fall in bay 4 on 12/03/2024 at 14:00',
    'Audit due 2024-03-12',
    'Staff meeting on 12 March 2024',
    'Pump serviced 01.02.24, next due March 12, 2025',
    'dobutamine infusion started 12/03/2024', // "dob" inside a word
    'stubborn leak since 12/03/2024', // "born" inside a word
    'airborne precautions from 12/03/2024',
    'bed 4b. 12/03/2024 cleaned', // "b." inside a word
  ])('ignores a date without a trigger word: %j', (text) => {
    expect(findIdentifiers(text)).toEqual([]);
  });

  it.each([
    'DOB 31/31/1954',
    'DOB 13/13/54',
    'DOB 00/01/1954',
    'DOB 12/00/1954',
    'DOB 1954-13-01',
    'DOB 1954-03-32',
    'DOB 32 March 1954',
    'DOB 12 Marathon 1954',
    'DOB 12/03/195', // 3-digit year
    'DOB 12/03-1954', // mixed separators
    'DOB 12031954',
    'DOB unknown',
  ])('ignores something that is not a plausible date: %j', (text) => {
    expect(findIdentifiers(text)).toEqual([]);
  });

  it('flags every date in the window after a trigger (over-redaction is the safe side)', () => {
    expect(found('DOB 12/03/1954, adm 01/02/2024')).toEqual([
      ['date_of_birth', '12/03/1954'],
      ['date_of_birth', '01/02/2024'],
    ]);
  });

  it('does not pick a date out of a longer digit run', () => {
    expect(findIdentifiers('DOB 112/03/1954')).toEqual([]);
    expect(findIdentifiers('DOB 12/03/19545')).toEqual([]);
  });
});

describe('findIdentifiers: several identifiers', () => {
  const text = 'Mr X, NHS 943 476 5919, DOB 12/03/1954, lives SW1A 1AA; fell in bay 4 on 01/02/2024.';

  it('returns every identifier in order with exact offsets', () => {
    expect(findIdentifiers(text)).toEqual([
      { kind: 'nhs_number', start: 10, end: 22 },
      { kind: 'date_of_birth', start: 28, end: 38 },
      { kind: 'postcode', start: 46, end: 54 },
    ]);
    expect(found(text)).toEqual([
      ['nhs_number', '943 476 5919'],
      ['date_of_birth', '12/03/1954'],
      ['postcode', 'SW1A 1AA'],
    ]);
  });

  it('redacts them all, leaving the rest of the text intact', () => {
    expect(redactIdentifiers(text)).toBe(
      'Mr X, NHS [redacted nhs_number], DOB [redacted date_of_birth], lives [redacted postcode]; fell in bay 4 on 01/02/2024.',
    );
  });

  it('returns sorted, non-overlapping matches on mixed texts', () => {
    const texts = [
      text,
      'SW1A1AA 9434765919 b. 1/2/54 M1 1AE 4000000160 DOB 1954-03-12',
      '12/03/1954 (DOB) 943-476-5919 DN55 1PT born 3rd of May 1960 W2 1PG',
    ];
    for (const t of texts) {
      const matches = findIdentifiers(t);
      expect(matches.length).toBeGreaterThan(0);
      for (let i = 1; i < matches.length; i++) {
        const prev = matches[i - 1] as IdentifierMatch;
        const cur = matches[i] as IdentifierMatch;
        expect(cur.start).toBeGreaterThanOrEqual(prev.end);
      }
    }
    expect(kindsOf(texts[1] ?? '')).toEqual(['postcode', 'nhs_number', 'date_of_birth', 'postcode', 'nhs_number', 'date_of_birth']);
    expect(kindsOf(texts[2] ?? '')).toEqual(['date_of_birth', 'nhs_number', 'postcode', 'date_of_birth', 'postcode']);
  });

  it('returns nothing for ordinary ward text', () => {
    expect(findIdentifiers('Bay 4: 2 falls overnight, B12 injection delayed, covid19 side room closed; NEWS2 escalation.')).toEqual([]);
    expect(findIdentifiers('')).toEqual([]);
  });
});

describe('redactIdentifiers', () => {
  it('redacts each kind with its label', () => {
    expect(redactIdentifiers('NHS 9434765919')).toBe('NHS [redacted nhs_number]');
    expect(redactIdentifiers('at W2 1PG')).toBe('at [redacted postcode]');
    expect(redactIdentifiers('DOB 12/03/1954')).toBe('DOB [redacted date_of_birth]');
  });

  it('returns the text unchanged when there is nothing to redact', () => {
    expect(redactIdentifiers('Bay 4 fall, no harm')).toBe('Bay 4 fall, no harm');
    expect(redactIdentifiers('NHS 9434765919', [])).toBe('NHS 9434765919');
    expect(redactIdentifiers('')).toBe('');
  });

  it('uses the matches given, in any order', () => {
    const text = 'abcdefghij';
    const matches: IdentifierMatch[] = [
      { kind: 'postcode', start: 6, end: 8 },
      { kind: 'nhs_number', start: 0, end: 2 },
    ];
    expect(redactIdentifiers(text, matches)).toBe('[redacted nhs_number]cdef[redacted postcode]ij');
    expect(matches[0]?.start).toBe(6); // input not mutated
  });

  it('resolves overlapping matches by keeping the earliest (longest on ties)', () => {
    const text = 'abcdefghij';
    expect(
      redactIdentifiers(text, [
        { kind: 'postcode', start: 2, end: 5 },
        { kind: 'nhs_number', start: 0, end: 4 },
        { kind: 'date_of_birth', start: 0, end: 3 },
      ]),
    ).toBe('[redacted nhs_number]efghij');
  });

  it('redacts matches that touch without a gap', () => {
    expect(
      redactIdentifiers('aabb', [
        { kind: 'postcode', start: 0, end: 2 },
        { kind: 'postcode', start: 2, end: 4 },
      ]),
    ).toBe('[redacted postcode][redacted postcode]');
  });

  it.each<IdentifierMatch>([
    { kind: 'nhs_number', start: -1, end: 3 },
    { kind: 'nhs_number', start: 0, end: 15 },
    { kind: 'nhs_number', start: 3, end: 3 },
    { kind: 'nhs_number', start: 1.5, end: 3 },
  ])('throws on invalid offsets %o without echoing the text', (match) => {
    const text = 'NHS 9434765919';
    let message = '';
    try {
      redactIdentifiers(text, [match]);
    } catch (error) {
      expect(error).toBeInstanceOf(RangeError);
      message = (error as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toContain('9434765919');
    expect(message).not.toContain('NHS');
  });
});

describe('no logging', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('never writes to the console while screening or redacting', () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation(() => undefined),
    );
    const text = 'NHS 943 476 5919, DOB 12/03/1954, SW1A 1AA';
    redactIdentifiers(text, findIdentifiers(text));
    isValidNhsNumber('9434765919');
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});
