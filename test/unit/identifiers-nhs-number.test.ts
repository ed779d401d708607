/** NHS numbers: the Modulus 11 check, and finding them in free text. */
import { describe, expect, it } from 'vitest';
import { findIdentifiers, isValidNhsNumber, type IdentifierKind } from '../../src/domain/identifiers.js';

/** Kinds and matched substrings, for readable assertions. */
function found(text: string): Array<[IdentifierKind, string]> {
  return findIdentifiers(text).map((m) => [m.kind, text.slice(m.start, m.end)]);
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
      for (let last = 0; last <= 9; last++)
        expect(isValidNhsNumber(`${first9}${last}`), `${first9}${last}`).toBe(false);
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
