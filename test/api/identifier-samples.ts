/** The identifiers identifiers.test.ts types into requests, and how to look for them in an answer, a log line or a row. */
import { expect } from 'vitest';

// 943 476 5919 has a valid Modulus 11 check digit; 943 476 5918 does not.
export const NHS_NUMBER = '943 476 5919';
export const NOT_AN_NHS_NUMBER = '943 476 5918';
export const POSTCODE = 'LS1 4AP';
export const DATE_OF_BIRTH = '12/03/1954';

/** Every way one of these identifiers could appear in a body, a log line or a row. */
const IDENTIFIER_SPELLINGS = [
  '9434765919',
  '943 476 5919',
  '943-476-5919',
  '943\\u0020476',
  'LS1 4AP',
  'LS14AP',
  '12/03/1954',
  '12\\/03\\/1954',
];

export function expectNoIdentifier(text: string, where: string) {
  const lower = text.toLowerCase();
  for (const spelling of IDENTIFIER_SPELLINGS) {
    expect(lower.includes(spelling.toLowerCase()), `${where} contains ${spelling}`).toBe(false);
  }
}
