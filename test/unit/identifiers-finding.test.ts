/** Finding postcodes and dates of birth in free text, and several identifiers together. */
import { describe, expect, it } from 'vitest';
import {
  findIdentifiers,
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
    expect(kindsOf(texts[1] ?? '')).toEqual([
      'postcode',
      'nhs_number',
      'date_of_birth',
      'postcode',
      'nhs_number',
      'date_of_birth',
    ]);
    expect(kindsOf(texts[2] ?? '')).toEqual(['date_of_birth', 'nhs_number', 'postcode', 'date_of_birth', 'postcode']);
  });

  it('returns nothing for ordinary ward text', () => {
    expect(
      findIdentifiers('Bay 4: 2 falls overnight, B12 injection delayed, covid19 side room closed; NEWS2 escalation.'),
    ).toEqual([]);
    expect(findIdentifiers('')).toEqual([]);
  });
});

describe('findIdentifiers: text that looks different from what a reader sees', () => {
  it.each([
    ['zero-width spaces', 'Nurse 943\u200b476\u200b5919 on bay 4'],
    ['no-break spaces', 'Nurse 943\u00a0476\u00a05919 on bay 4'],
    ['narrow no-break spaces', 'Nurse 943\u202f476\u202f5919 on bay 4'],
    ['a zero-width joiner inside a group', 'Nurse 94\u200d3 476 5919 on bay 4'],
    ['full-width digits', 'Nurse \uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19 on bay 4'],
  ])('finds an NHS number written with %s, and spans exactly its characters', (_, text) => {
    const [match, ...more] = findIdentifiers(text);
    expect(more).toEqual([]);
    expect(match).toMatchObject({ kind: 'nhs_number', start: 6 });
    expect(text.slice(match!.end)).toBe(' on bay 4');
    expect(redactIdentifiers(text)).toBe('Nurse [redacted nhs_number] on bay 4');
  });

  it('finds a postcode in full-width letters, and a date of birth after a zero-width space', () => {
    expect(found('Lives at \uff33\uff37\uff11\uff21 \uff11\uff21\uff21.')).toEqual([
      ['postcode', '\uff33\uff37\uff11\uff21 \uff11\uff21\uff21'],
    ]);
    expect(kindsOf('DOB\u200b 12/03/1954')).toEqual(['date_of_birth']);
  });

  it('keeps offsets right past characters outside the basic plane and accents', () => {
    const text = 'Caf\u00e9 \u{1f600} note: 943 476 5919';
    expect(found(text)).toEqual([['nhs_number', '943 476 5919']]);
  });

  it('still leaves alone what is not an identifier once read', () => {
    expect(findIdentifiers('Bay\u00a04, bed\u200b12, 5\u00a0mg')).toEqual([]);
    expect(findIdentifiers('943\u200b476\u200b5918')).toEqual([]); // fails the check digit
  });
});
