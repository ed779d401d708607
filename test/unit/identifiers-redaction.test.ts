/** Redacting identifiers found in free text, without logging them. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  findIdentifiers,
  isValidNhsNumber,
  redactIdentifiers,
  type IdentifierMatch,
} from '../../src/domain/identifiers.js';

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
